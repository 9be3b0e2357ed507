import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import knexFactory from 'knex';
import { defaultBackend } from '../support/test-database';

// The benchmark scripts keep working: `node dist/bench/run.js --quick` exits 0 and writes a results file
// holding every figure with a value (and a ratio where it has a baseline). Timings are never asserted here:
// speed is measured by `npm run bench`, not by tests.

const FIGURES = [
  'write.rest',
  'write.grpc',
  'batch.rest',
  'list.maxRate',
  'list.p50',
  'list.p99',
  'paging.p50',
  'paging.rate',
  'memory.peakRss',
];
/** The admission rows, once bench/admission.ts exists. */
const ADMISSION_FIGURES = ['admission.warm.rate', 'admission.warm.p99', 'admission.cold.rate', 'admission.cold.p99'];

interface Figure {
  id: string;
  samples: number[];
  baseline?: { samples: number[] };
  ratio?: number;
}

describe('bench --quick (smoke)', function () {
  this.timeout(300_000);

  it('runs every benchmark and writes a results file with every figure', async () => {
    // The server: the configured one, else the embedded test database's; a database of its own, dropped afterwards,
    // so that runs of different checkouts on one server never share a schema.
    const server = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? (await defaultBackend().createDatabase());
    const database = `attestd_bench_smoke_${crypto.randomBytes(4).toString('hex')}`;
    const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attestd-bench-smoke-'));
    try {
      const run = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bench', 'run.js'), '--quick'], {
        env: { ...process.env, BENCH_DATABASE_URL: server, BENCH_DATABASE_NAME: database, BENCH_RESULTS_DIR: resultsDir },
        encoding: 'utf8',
        timeout: 280_000,
      });
      expect(run.status, `bench exited with ${run.status}:\n${run.stderr}`).to.equal(0);
      const files = fs.readdirSync(resultsDir).filter((f) => f.endsWith('.json'));
      expect(files).to.have.length(1);
      const report = JSON.parse(fs.readFileSync(path.join(resultsDir, files[0]!), 'utf8')) as {
        machine: { cores: number; memoryMb: number; node: string; postgres: string };
        figures: Figure[];
      };
      expect(report.machine.cores).to.be.greaterThan(0);
      expect(report.machine.postgres).to.be.a('string').and.not.equal('unknown');
      const ids = report.figures.map((f) => f.id);
      const admission = fs.existsSync(path.join(__dirname, '..', '..', 'bench', 'admission.js'));
      expect(ids).to.include.members(admission ? [...FIGURES, ...ADMISSION_FIGURES] : FIGURES);
      for (const f of report.figures) {
        expect(f.samples.length, f.id).to.be.greaterThan(0);
        for (const v of f.samples) expect(Number.isFinite(v), `${f.id}: ${v}`).to.equal(true);
        if (f.baseline) {
          for (const v of f.baseline.samples) expect(Number.isFinite(v), `${f.id} baseline: ${v}`).to.equal(true);
          expect(Number.isFinite(f.ratio), `${f.id} ratio`).to.equal(true);
        }
      }
    } finally {
      fs.rmSync(resultsDir, { recursive: true, force: true });
      const admin = knexFactory({ client: 'pg', connection: server, pool: { min: 0, max: 1 } });
      try {
        await admin.raw(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } finally {
        await admin.destroy();
      }
    }
  });
});
