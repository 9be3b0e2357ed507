import { PENDING_INSERT_SQL } from './postgres-audit-store';

/**
 * Creates occurrences and their pending audit events in one statement (atomic without a transaction): the
 * drafts come as arrays, each joined to its note; everything is written only when the project exists and every
 * note exists and admits its draft's kind (the SQL form of noteAdmits), nothing otherwise. The answer has one
 * row per distinct existing note (or one row with null note columns) carrying whether the project exists and
 * how many occurrences were created, so the caller can name what was wrong. Bindings: the draft arrays
 * (occurrence_id, resource_uri, note_project_id, note_id, kind or null, create_time, update_time), the bodies as
 * one JSON array text in the same order (one string, 0.8 MB for 1,000 bench items, instead of 1,000 strings
 * and pg's 2.9 MB array literal of them: the largest thing a batch held while its statement was built), the project id twice, then
 * pendingBindings.
 */
export const CREATE_OCCURRENCES_SQL = `
  WITH input AS (
    SELECT * FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[],
                         ARRAY(SELECT b FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS t(b, n) ORDER BY n))
      AS i(occurrence_id, resource_uri, note_project_id, note_id, kind, create_time, update_time, body)
  ), checked AS (
    SELECT i.*, n.kind AS note_kind
    FROM input i LEFT JOIN notes n ON n.project_id = i.note_project_id AND n.note_id = i.note_id
  ), verdict AS (
    SELECT EXISTS (SELECT 1 FROM projects WHERE project_id = ?) AS project_exists,
           bool_and(note_kind IS NOT NULL AND (kind IS NULL OR note_kind = 'NOTE_KIND_UNSPECIFIED' OR note_kind = kind)) AS admitted
    FROM checked
  ), created AS (
    INSERT INTO occurrences (occurrence_id, project_id, resource_uri, note_project_id, note_id, kind, create_time, update_time, body)
    SELECT c.occurrence_id, ?, c.resource_uri, c.note_project_id, c.note_id, coalesce(c.kind, c.note_kind), c.create_time,
           c.update_time, jsonb_set(c.body, '{kind}', to_jsonb(coalesce(c.kind, c.note_kind)))
    FROM checked c, verdict v
    WHERE v.project_exists AND v.admitted
    RETURNING 1
  ), events AS (
    ${PENDING_INSERT_SQL}
    WHERE (SELECT project_exists AND admitted FROM verdict)
  )
  SELECT v.project_exists, (SELECT count(*) FROM created)::int AS created, n.note_project_id, n.note_id, n.note_kind
  FROM verdict v
  LEFT JOIN (SELECT DISTINCT note_project_id, note_id, note_kind FROM checked WHERE note_kind IS NOT NULL) n ON true`;
