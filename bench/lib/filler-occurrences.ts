import pg from 'pg';

/** Rows per INSERT … SELECT generate_series statement. */
const CHUNK = 100_000;

/**
 * Stores `n` unrelated ATTESTATION occurrences in `project` straight through SQL (what `n` batchCreate calls
 * would store, without their audit events: ~30 s per million instead of ~2 minutes through the API), each on
 * its own image `https://<repo>/filler<i % 997>@sha256:<i>`, with `noteName`'s note and `attestation` as body;
 * then ANALYZE, so that the planner knows the table's size.
 */
export async function storeFillerOccurrences(
  databaseUrl: string,
  project: string,
  noteName: string,
  attestation: unknown,
  repo: string,
  n: number,
): Promise<void> {
  if (n <= 0) return;
  const note = /^projects\/[^/]+\/notes\/(.+)$/.exec(noteName)?.[1];
  if (!note) throw new Error(`not a note name: ${noteName}`);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const baseMs = Date.now() - n;
    for (let from = 0; from < n; from += CHUNK) {
      const to = Math.min(n, from + CHUNK) - 1;
      await client.query(
        `INSERT INTO occurrences (occurrence_id, project_id, resource_uri, note_project_id, note_id, kind, create_time, update_time, body)
         SELECT g.id, $1::text, g.uri, $1::text, $2::text, 'ATTESTATION', g.t, g.t,
                jsonb_build_object(
                  'name', 'projects/' || $1::text || '/occurrences/' || g.id,
                  'noteName', 'projects/' || $1::text || '/notes/' || $2::text,
                  'resourceUri', g.uri, 'kind', 'ATTESTATION', 'attestation', $3::jsonb,
                  'createTime', to_char(g.t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                  'updateTime', to_char(g.t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
         FROM (
           SELECT (lpad(to_hex($6::bigint + i), 12, '0') || '7' || substr(h, 1, 3) || '8' || substr(h, 4, 15))::uuid AS id,
                  'https://' || $7::text || '/filler' || (i % 997) || '@sha256:' || lpad(to_hex(i), 64, '0') AS uri,
                  to_timestamp(($6::bigint + i) / 1000.0) AS t
           FROM generate_series($4::int, $5::int) AS i, LATERAL md5(i::text || random()::text) AS h
         ) g`,
        [project, note, JSON.stringify(attestation), from, to, baseMs, repo],
      );
    }
    await client.query('ANALYZE occurrences');
  } finally {
    await client.end();
  }
}
