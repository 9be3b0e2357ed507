import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { compareReports, formatComparison, readReport } from '../../bench/lib/compare';
import { figureResult, formatTable, type RunReport } from '../../bench/lib/report';

const WRITE = { id: 'write.rest', label: 'CreateOccurrence REST', unit: 'occ/s', baselineLabel: 'pg INSERT', target: { ratioMin: 0.6 } };
const P99 = { id: 'list.p99', label: 'ListOccurrences p99', unit: 'ms', baselineLabel: 'pg SELECT', target: { ratioMax: 2 } };
const RSS = { id: 'memory.rss', label: 'peak RSS', unit: 'MB' };
const LATE = { id: 'late.only', label: 'added in B', unit: 'req/s' };

function report(figures: RunReport['figures'], cores = 2): RunReport {
  return {
    startedAt: '2026-12-06T10:00:00.000Z',
    finishedAt: '2026-12-06T10:10:00.000Z',
    seconds: 600,
    mode: 'full',
    options: {},
    machine: { cores, cpuModel: 'cpu', memoryMb: 4096, platform: 'linux', node: 'v22', postgres: '17' },
    benchmarks: [],
    figures,
    notPresent: [],
    requestErrors: {},
    serverPeakRssMb: 100,
  };
}

describe('bench --compare', () => {
  // A: writes at 0.25–0.3× of raw pg; B: 0.6–0.7× (apart: better). p99 ratio 3–4× then 2.5–3.5× (overlap).
  const a = report([
    figureResult('w', WRITE, [250, 270, 300], [1000, 1000, 1000]),
    figureResult('l', P99, [30, 35, 40], [10, 10, 10]),
    figureResult('m', RSS, [200, 210, 220], []),
  ]);
  const b = report(
    [
      figureResult('w', WRITE, [1200, 1300, 1400], [2000, 2000, 2000]),
      figureResult('l', P99, [5, 6, 7], [2, 2, 2]),
      figureResult('m', RSS, [300, 310, 320], []),
      figureResult('x', LATE, [5], []),
    ],
    8,
  );

  it('compares ratios to the same-run baseline, not absolute figures, and flags overlapping ranges', () => {
    const rows = new Map(compareReports(a, b).map((r) => [r.id, r]));
    const write = rows.get('write.rest')!;
    expect(write.basis).to.equal('ratio');
    expect(write.a!.median).to.be.closeTo(0.27, 1e-9);
    expect(write.b!.median).to.be.closeTo(0.65, 1e-9);
    expect(write.change).to.be.closeTo(0.65 / 0.27, 1e-9);
    expect(write.verdict).to.equal('better');
    // Absolute p99 fell from 35 to 6 ms, but against its baseline it is within the spread.
    expect(rows.get('list.p99')).to.include({ basis: 'ratio', verdict: 'overlap' });
    // No baseline: the figure itself; more MB is worse.
    expect(rows.get('memory.rss')).to.include({ basis: 'value', verdict: 'worse' });
    expect(rows.get('late.only')).to.include({ verdict: 'only in B' });
  });

  it('prints both files side by side and warns when the machines differ', () => {
    const text = formatComparison(a, b, ['a.json', 'b.json']);
    expect(text).to.match(/A: full run of .*2 cores/);
    expect(text).to.match(/B: full run of .*8 cores/);
    expect(text).to.include('different machines');
    const line = text.split('\n').find((l) => l.startsWith('write.rest'))!;
    expect(line).to.match(/0\.27× \[0\.25–0\.30\] n=3\s+0\.65× \[0\.60–0\.70\] n=3\s+2\.41×\s+better/);
    expect(text.split('\n').find((l) => l.startsWith('list.p99'))).to.include('~ ranges overlap');
  });

  it('prints the generator’s CPU use beside each figure of a run', () => {
    const table = formatTable([figureResult('w', WRITE, [250, 300], [1000, 1000], [0.8, 1.1]), figureResult('m', RSS, [200], [])]);
    expect(table.split('\n')[0]).to.include('generator CPU');
    expect(table.split('\n').find((l) => l.startsWith('write.rest'))).to.match(/0\.28×\s+0\.95 cores/);
    expect(table.split('\n').find((l) => l.startsWith('memory.rss'))).to.match(/—\s+—/);
  });

  it('reads result files and refuses what is not one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-compare-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify(a));
      fs.writeFileSync(path.join(dir, 'bad.json'), '{"hello": 1}');
      expect(readReport(path.join(dir, 'a.json')).figures).to.have.length(3);
      expect(() => readReport(path.join(dir, 'bad.json'))).to.throw(/not a bench result file/);
      expect(() => readReport(path.join(dir, 'missing.json'))).to.throw(/cannot read bench results/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
