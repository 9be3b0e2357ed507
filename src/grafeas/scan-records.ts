import type { NoteName } from '../domain/names';
import { noteName } from '../domain/names';
import type { JsonObject } from '../domain/message-types';
import type { Finding, ScanReport } from '../domain/vulnerability/scan-report';
import { vulnerabilityDetails } from '../domain/vulnerability/vulnerability-occurrence';

/** Note id of the DISCOVERY note a scanner's scans are recorded on (`scanner-trivy`). */
export function scannerNoteId(scanner: string): string {
  return `scanner-${scanner}`;
}

/** The marker in `vulnerability.extraDetails` that says which scanner found an imported finding. */
export function foundByMarker(scanner: string): string {
  return `found by ${scanner}`;
}

/** The VULNERABILITY note of a finding, shared by every image that has it. */
export function vulnerabilityNoteBody(finding: Finding): JsonObject {
  const vulnerability: JsonObject = { severity: finding.severity };
  if (finding.cvssScore !== undefined) {
    vulnerability.cvssScore = finding.cvssScore;
    vulnerability.cvssV3 = { baseScore: finding.cvssScore };
    vulnerability.cvssVersion = 'CVSS_VERSION_3';
  }
  return {
    shortDescription: finding.id,
    relatedUrl: finding.urls.map((url) => ({ url, label: 'More Info' })),
    vulnerability,
  };
}

/** The DISCOVERY note of a scanner. */
export function scannerNoteBody(scanner: string): JsonObject {
  return { shortDescription: `Vulnerability scans by ${scanner}`, discovery: { analysisKind: 'VULNERABILITY' } };
}

/** The VULNERABILITY occurrence of a finding on an image (as Container Analysis writes it), marked with its scanner. */
export function vulnerabilityOccurrenceBody(uri: string, note: NoteName, finding: Finding, scan: ScanReport): JsonObject {
  return {
    resourceUri: uri,
    noteName: noteName(note),
    kind: 'VULNERABILITY',
    vulnerability: { ...vulnerabilityDetails(finding), extraDetails: `${foundByMarker(scan.scanner.name)} ${scan.scanner.version}`.trim() },
  };
}

/** The DISCOVERY occurrence recording a finished scan: status, scanner and version, and the scan time it reported. */
export function discoveryOccurrenceBody(uri: string, note: NoteName, scan: ScanReport): JsonObject {
  return {
    resourceUri: uri,
    noteName: noteName(note),
    kind: 'DISCOVERY',
    discovery: {
      continuousAnalysis: 'INACTIVE',
      analysisStatus: 'FINISHED_SUCCESS',
      analysisCompleted: { analysisType: [`${scan.scanner.name} ${scan.scanner.version}`.trim()] },
      lastScanTime: scan.scannedAt,
    },
  };
}
