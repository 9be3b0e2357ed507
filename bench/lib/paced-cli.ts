import fs from 'node:fs';
import { pacedRequests } from './http-load';
import { percentile } from './stats';

// A paced (evenly spaced, open-loop) POST load in its own process, so that it does not share an event loop
// with the servers under test (bench/admission.ts runs them in its process):
//   node dist/bench/lib/paced-cli.js <url> <rate/s> <duration s> <body file> [start delay ms]
// Prints {"rps","p50","p99","errors","firstError","latencies"} as JSON; latencies in ms, counted from when each
// request was due. Several of these at rate/N with staggered start delays make one evenly spaced load when
// one Node process cannot issue the whole rate (TLS clients cost ~100 µs of CPU per request).
async function main(): Promise<void> {
  const [url, rate, duration, bodyFile, delay] = process.argv.slice(2);
  if (!url || !rate || !duration || !bodyFile) throw new Error('usage: paced-cli <url> <rate/s> <duration s> <body file>');
  const body = fs.readFileSync(bodyFile, 'utf8');
  const target = new URL(url);
  if (delay) await new Promise((r) => setTimeout(r, Number(delay)));
  const r = await pacedRequests({
    url: target.origin,
    ratePerSecond: Number(rate),
    durationMs: Number(duration) * 1000,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    request: () => ({ path: target.pathname, body }),
    insecure: true,
  });
  process.stdout.write(
    JSON.stringify({
      rps: r.perSecond,
      p50: percentile(r.latenciesMs, 0.5),
      p99: percentile(r.latenciesMs, 0.99),
      errors: r.errors,
      firstError: r.firstError,
      latencies: r.latenciesMs.map((l) => Math.round(l * 1000) / 1000),
    }),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
