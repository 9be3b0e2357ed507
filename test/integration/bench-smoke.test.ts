import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import knexFactory from 'knex';
import { availableCores } from '../../src/app/available-cores';
import { defaultBackend } from '../support/test-database';

// The benchmark scripts keep working: `node dist/bench/run.js --quick` exits 0 and writes a results file
// holding every figure with a value (and a ratio where it has a baseline), the generator's CPU use next to
// every figure, and the worker scaling table for 1 … the cores available. Timings are never asserted here:
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
  'memory.peakRssBatch',
];
/** The admission rows, once bench/admission.ts exists. */
const ADMISSION_FIGURES = ['admission.warm.rate', 'admission.warm.p99', 'admission.cold.rate', 'admission.cold.p99'];

interface Figure {
  id: string;
  samples: number[];
  baseline?: { samples: number[] };
  ratio?: number;
  generatorCpu?: { median: number };
}

interface Scaling {
  rows: { id: string; cells: { workers: number; summary: { median: number }; ratio: number }[] }[];
}

describe('bench --quick (smoke)', function () {
  this.timeout(420_000);

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
        timeout: 400_000,
      });
      expect(run.status, `bench exited with ${run.status}:\n${run.stderr}`).to.equal(0);
      const files = fs.readdirSync(resultsDir).filter((f) => f.endsWith('.json'));
      expect(files).to.have.length(1);
      const report = JSON.parse(fs.readFileSync(path.join(resultsDir, files[0]!), 'utf8')) as {
        machine: { cores: number; memoryMb: number; node: string; postgres: string };
        figures: Figure[];
        cpuSplit: string;
        workerScaling?: Scaling;
      };
      expect(report.machine.cores).to.be.greaterThan(0);
      expect(report.machine.postgres).to.be.a('string').and.not.equal('unknown');
      const ids = report.figures.map((f) => f.id);
      const admission = fs.existsSync(path.join(__dirname, '..', '..', 'bench', 'admission.js'));
      expect(ids).to.include.members(admission ? [...FIGURES, ...ADMISSION_FIGURES] : FIGURES);
      expect(report.cpuSplit).to.match(/\d+ cores/);
      for (const f of report.figures) {
        expect(f.samples.length, f.id).to.be.greaterThan(0);
        if (!f.id.startsWith('memory.')) expect(Number.isFinite(f.generatorCpu?.median), `${f.id} generator CPU`).to.equal(true);
        for (const v of f.samples) expect(Number.isFinite(v), `${f.id}: ${v}`).to.equal(true);
        if (f.baseline) {
          for (const v of f.baseline.samples) expect(Number.isFinite(v), `${f.id} baseline: ${v}`).to.equal(true);
          expect(Number.isFinite(f.ratio), `${f.id} ratio`).to.equal(true);
        }
      }
      // One column per worker count from 1 to the cores available, each row's ratio to 1 worker.
      const counts = Array.from({ length: availableCores() }, (_, i) => i + 1);
      expect(report.workerScaling?.rows.map((r) => r.id)).to.deep.equal(['workers.write', 'workers.list', 'workers.admission']);
      for (const row of report.workerScaling!.rows) {
        expect(row.cells.map((c) => c.workers)).to.deep.equal(counts);
        expect(row.cells[0]!.ratio, row.id).to.equal(1);
        for (const c of row.cells) expect(c.summary.median, `${row.id} with ${c.workers} workers`).to.be.greaterThan(0);
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
