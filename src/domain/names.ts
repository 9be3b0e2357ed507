import { invalidArgument } from './api-error';

/** Project ids: letters, digits, `-`, `_`, `.`; 1–128 characters, starting with a letter or digit. */
const PROJECT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Note ids come from clients (Grafeas lets them choose); no `/`, `:` or whitespace, 1–256 characters. */
const NOTE_ID = /^[A-Za-z0-9._~@+=,-]{1,256}$/;
/** Occurrence ids are server-generated UUIDs. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface NoteName {
  readonly projectId: string;
  readonly noteId: string;
}
export interface OccurrenceName {
  readonly projectId: string;
  readonly occurrenceId: string;
}

/** Checks a project id and returns it, or throws INVALID_ARGUMENT saying what a valid one looks like. */
export function checkProjectId(id: string, field = 'project'): string {
  if (!PROJECT_ID.test(id)) {
    throw invalidArgument(
      `${field}: project id must be 1-128 letters, digits, "-", "_" or "." starting with a letter or digit, got ${quote(id)}`,
    );
  }
  return id;
}

/** Checks a note id (client-chosen) and returns it. */
export function checkNoteId(id: string, field = 'noteId'): string {
  if (!NOTE_ID.test(id) || id === '.' || id === '..') {
    throw invalidArgument(
      `${field}: note id must be 1-256 characters from letters, digits and . _ ~ @ + = , - (no "/" or ":"), got ${quote(id)}`,
    );
  }
  return id;
}

/** Parses `projects/{project}`. */
export function parseProjectName(name: string, field = 'name'): string {
  const m = /^projects\/([^/]+)$/.exec(name);
  if (!m) throw invalidArgument(`${field} must look like "projects/{project}", got ${quote(name)}`);
  return checkProjectId(m[1]!, field);
}

/** Parses `projects/{project}/notes/{note}`. */
export function parseNoteName(name: string, field = 'name'): NoteName {
  const m = /^projects\/([^/]+)\/notes\/([^/]+)$/.exec(name);
  if (!m) throw invalidArgument(`${field} must look like "projects/{project}/notes/{note}", got ${quote(name)}`);
  return { projectId: checkProjectId(m[1]!, field), noteId: checkNoteId(m[2]!, field) };
}

/** Parses `projects/{project}/occurrences/{occurrence}`. */
export function parseOccurrenceName(name: string, field = 'name'): OccurrenceName {
  const m = /^projects\/([^/]+)\/occurrences\/([^/]+)$/.exec(name);
  if (!m) {
    throw invalidArgument(`${field} must look like "projects/{project}/occurrences/{occurrence}", got ${quote(name)}`);
  }
  const occurrenceId = m[2]!.toLowerCase();
  if (!UUID.test(occurrenceId)) {
    throw invalidArgument(`${field}: occurrence id must be a UUID as attestd generates them, got ${quote(m[2]!)}`);
  }
  return { projectId: checkProjectId(m[1]!, field), occurrenceId };
}

export const projectName = (projectId: string): string => `projects/${projectId}`;
export const noteName = (n: NoteName): string => `projects/${n.projectId}/notes/${n.noteId}`;
export const occurrenceName = (o: OccurrenceName): string => `projects/${o.projectId}/occurrences/${o.occurrenceId}`;

/** Quotes user text for an error message, shortened so a huge value cannot flood a response. */
export function quote(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);
}
