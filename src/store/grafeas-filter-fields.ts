import type { FilterFields } from './filter-sql';

/** NoteKind names, in enum order (grafeas/v1/common.proto), for filters such as kind="ATTESTATION". */
export const NOTE_KINDS = [
  'NOTE_KIND_UNSPECIFIED',
  'VULNERABILITY',
  'BUILD',
  'IMAGE',
  'PACKAGE',
  'DEPLOYMENT',
  'DISCOVERY',
  'ATTESTATION',
  'UPGRADE',
  'COMPLIANCE',
  'DSSE_ATTESTATION',
  'VULNERABILITY_ASSESSMENT',
  'SBOM_REFERENCE',
  'SECRET',
] as const;

/** Occurrence fields a filter may name, and the indexed columns behind them. */
export const OCCURRENCE_FILTER_FIELDS: FilterFields = Object.freeze({
  resourceUri: { column: 'resource_uri', type: 'string' },
  resourceUrl: { column: 'resource_uri', type: 'string' },
  resource_uri: { column: 'resource_uri', type: 'string' },
  noteName: { column: `('projects/' || note_project_id || '/notes/' || note_id)`, type: 'string' },
  note_name: { column: `('projects/' || note_project_id || '/notes/' || note_id)`, type: 'string' },
  noteId: { column: 'note_id', type: 'string' },
  noteProjectId: { column: 'note_project_id', type: 'string' },
  kind: { column: 'kind', type: 'enum', enumValues: NOTE_KINDS },
  createTime: { column: 'create_time', type: 'timestamp' },
  updateTime: { column: 'update_time', type: 'timestamp' },
});

/** Note fields a filter may name. */
export const NOTE_FILTER_FIELDS: FilterFields = Object.freeze({
  name: { column: `('projects/' || project_id || '/notes/' || note_id)`, type: 'string' },
  noteId: { column: 'note_id', type: 'string' },
  kind: { column: 'kind', type: 'enum', enumValues: NOTE_KINDS },
  createTime: { column: 'create_time', type: 'timestamp' },
  updateTime: { column: 'update_time', type: 'timestamp' },
});
