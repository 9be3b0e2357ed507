import crypto from 'node:crypto';
import type { JsonObject } from '../domain/message-types';
import type { VexDocument, VexStatement } from '../domain/vulnerability/parse-openvex';
import { suppressingState, VEX_ASSESSMENT_STATES as STATES } from '../domain/vulnerability/vex-states';

/**
 * The note id of the statement about a vulnerability and product: one note per pair, so a later import about the
 * same pair replaces the earlier statement (`vex-` and 40 hex digits of SHA-256 over both).
 */
export function vexNoteId(statement: VexStatement): string {
  const hash = crypto.createHash('sha256').update(`${statement.vulnerability}\n${statement.product.uri}`).digest('hex');
  return `vex-${hash.slice(0, 40)}`;
}

/** Whether a statement suppresses matching findings (not_affected, fixed). */
export function suppresses(statement: VexStatement): boolean {
  return suppressingState(STATES[statement.status]);
}

/**
 * The VULNERABILITY_ASSESSMENT note of one statement about one product (Grafeas VulnerabilityAssessmentNote):
 * the product's image in `product.genericUri` (what admission matches), the OpenVEX status as `assessment.state`,
 * its justification, impact and action statements where Grafeas has the fields.
 */
export function vexNoteBody(doc: VexDocument, s: VexStatement): JsonObject {
  const publisher: JsonObject = {};
  if (doc.author) publisher.name = doc.author;
  if (doc.role) publisher.issuingAuthority = doc.role;
  if (doc.id) publisher.publisherNamespace = doc.id;
  const assessment: JsonObject = { vulnerabilityId: s.vulnerability, state: STATES[s.status] };
  if (s.statusNotes) assessment.shortDescription = s.statusNotes;
  if (s.impactStatement) assessment.impacts = [s.impactStatement];
  if (s.vulnerabilityUrl) assessment.relatedUris = [{ url: s.vulnerabilityUrl, label: s.vulnerability }];
  if (s.justification) {
    assessment.justification = {
      justificationType: s.justification.toUpperCase(),
      ...(s.impactStatement ? { details: s.impactStatement } : {}),
    };
  }
  if (s.actionStatement) assessment.remediations = [{ details: s.actionStatement }];
  const when = s.timestamp ? ` (${s.timestamp})` : '';
  return {
    shortDescription: `${s.vulnerability}: ${s.status} in ${s.product.name}${when}`,
    ...(doc.id ? { relatedUrl: [{ url: doc.id, label: 'OpenVEX document' }] } : {}),
    vulnerabilityAssessment: {
      title: doc.id ?? 'OpenVEX statement',
      shortDescription: `${s.vulnerability} is ${s.status.replace('_', ' ')} in ${s.product.name}`,
      ...(Object.keys(publisher).length ? { publisher } : {}),
      product: { name: s.product.name, id: s.product.written, genericUri: s.product.uri },
      assessment,
    },
  };
}
