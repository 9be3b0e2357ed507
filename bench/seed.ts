import type pg from 'pg';
import { benchPool, ensureBenchDatabase } from './lib/bench-db';
import { NOTES, PAYLOAD_B64, SIGNATURE_B64, scaleProject } from './lib/fixtures';

/** Rows per INSERT … SELECT generate_series statement (one progress step). */
const CHUNK = 50_000;

/**
 * Makes sure project scale-<n> holds exactly n occurrences (reused across runs when present). Rows are
 * generated inside Postgres by multi-row INSERT … SELECT over generate_series, in chunks with a progress
 * line: ids are UUIDv7 (48-bit millisecond time, version 7, random bits), shaped like the service's own.
 * Every image has 10 occurrences, one per note, spread over the whole time range (the worst case for
 * locality: an image gains attestations over its life).
 */
export async function ensureScaleData(
  pool: pg.Pool,
  scale: number,
  log: (line: string) => void,
): Promise<{ seeded: boolean; seconds: number }> {
  const project = scaleProject(scale);
  const images = Math.max(1, Math.floor(scale / NOTES));
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM occurrences WHERE project_id = $1', [project]);
  if (Number(rows[0]!.n) === scale) return { seeded: false, seconds: 0 };
  const started = Date.now();
  const now = new Date().toISOString();
  await pool.query('DELETE FROM occurrences WHERE project_id = $1', [project]);
  await pool.query('INSERT INTO projects (project_id, create_time) VALUES ($1, now()) ON CONFLICT DO NOTHING', [project]);
  for (let n = 0; n < NOTES; n++) {
    const note = `n${n}`;
    const body = {
      name: `projects/${project}/notes/${note}`,
      kind: 'ATTESTATION',
      attestation: { hint: { humanReadableName: note } },
      createTime: now,
      updateTime: now,
    };
    await pool.query(
      `INSERT INTO notes (project_id, note_id, kind, create_time, update_time, body) VALUES ($1, $2, 'ATTESTATION', now(), now(), $3)
       ON CONFLICT DO NOTHING`,
      [project, note, JSON.stringify(body)],
    );
  }
  const baseMs = Date.now() - scale; // one occurrence per millisecond, ending now
  for (let from = 0; from < scale; from += CHUNK) {
    const to = Math.min(scale, from + CHUNK) - 1;
    await pool.query(
      `INSERT INTO occurrences (occurrence_id, project_id, resource_uri, note_project_id, note_id, kind, create_time, update_time, body)
       SELECT g.id, $1::text, g.uri, $1::text, g.note, 'ATTESTATION', g.t, g.t,
              jsonb_build_object(
                'name', 'projects/' || $1::text || '/occurrences/' || g.id,
                'noteName', 'projects/' || $1::text || '/notes/' || g.note,
                'resourceUri', g.uri, 'kind', 'ATTESTATION',
                'attestation', jsonb_build_object('serializedPayload', $5::text,
                  'signatures', jsonb_build_array(jsonb_build_object('signature', $6::text, 'publicKeyId', 'bench-key'))),
                'createTime', to_char(g.t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'updateTime', to_char(g.t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
       FROM (
         SELECT (lpad(to_hex($4::bigint + i), 12, '0') || '7' || substr(h, 1, 3) || '8' || substr(h, 4, 15))::uuid AS id,
                'https://registry.example.com/bench/app@sha256:' || lpad(to_hex(i % $7), 64, '0') AS uri,
                'n' || ((i / $7) % ${NOTES}) AS note,
                to_timestamp(($4::bigint + i) / 1000.0) AS t
         FROM generate_series($2::int, $3::int) AS i, LATERAL md5(i::text || random()::text) AS h
       ) g`,
      [project, from, to, baseMs, PAYLOAD_B64, SIGNATURE_B64, images],
    );
    const done = to + 1;
    const pct = Math.round((done / scale) * 100);
    const bar = '#'.repeat(Math.round(pct / 5)).padEnd(20, '.');
    const elapsed = (Date.now() - started) / 1000;
    log(`seed ${project}: [${bar}] ${done.toLocaleString('en')}/${scale.toLocaleString('en')} occurrences, ${elapsed.toFixed(0)} s`);
  }
  log(`seed ${project}: VACUUM ANALYZE occurrences`);
  await pool.query('VACUUM ANALYZE occurrences');
  return { seeded: true, seconds: (Date.now() - started) / 1000 };
}

/** The resource URI of a random seeded image of scale-<n>. */
export function randomImage(scale: number): number {
  return Math.floor(Math.random() * Math.max(1, Math.floor(scale / NOTES)));
}

if (require.main === module) {
  // node dist/bench/seed.js [occurrences]: seed without running benchmarks.
  void (async () => {
    const scale = Number(process.argv[2] ?? 1_000_000);
    const server = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const db = await ensureBenchDatabase(server, process.env.BENCH_DATABASE_NAME ?? 'attestd_bench');
    const pool = benchPool(db.url, 2);
    const r = await ensureScaleData(pool, scale, (l) => console.log(l));
    console.log(r.seeded ? `seeded in ${r.seconds.toFixed(1)} s` : 'already seeded');
    await pool.end();
  })();
}
