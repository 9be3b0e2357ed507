import client from 'prom-client';
import type { Metrics } from '../metrics';

/** Prometheus metrics of the registry hooks and their signing workers. */
export class HookMetrics {
  private readonly events: client.Counter<'source' | 'outcome'>;
  private readonly signings: client.Counter<'result'>;
  private readonly latency: client.Histogram;
  private readonly imports: client.Counter<'result'>;
  private pending = 0;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.events = new client.Counter({
      name: 'attestd_hook_events_total',
      help: 'Registry hook events received, by source and outcome (accepted, ignored, duplicate)',
      labelNames: ['source', 'outcome'],
      registers,
    });
    this.signings = new client.Counter({
      name: 'attestd_hook_signings_total',
      help: 'Signing attempts of the hook outbox, by result (signed, retry, failed)',
      labelNames: ['result'],
      registers,
    });
    this.latency = new client.Histogram({
      name: 'attestd_hook_sign_latency_seconds',
      help: 'Time from accepting a push to its attestation',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.imports = new client.Counter({
      name: 'attestd_hook_imports_total',
      help: 'Import attempts of the hook outbox (cosign signatures read from registries), by result (imported, rejected, retry, failed)',
      labelNames: ['result'],
      registers,
    });
    const pending = (): number => this.pending;
    new client.Gauge({
      name: 'attestd_hook_backlog',
      help: 'Signings waiting in the hook outbox (PENDING)',
      registers,
      collect() {
        this.set(pending());
      },
    });
  }

  received(source: string, r: { accepted: number; ignored: number; duplicates: number }): void {
    if (r.accepted) this.events.inc({ source, outcome: 'accepted' }, r.accepted);
    if (r.ignored) this.events.inc({ source, outcome: 'ignored' }, r.ignored);
    if (r.duplicates) this.events.inc({ source, outcome: 'duplicate' }, r.duplicates);
  }

  signed(seconds: number): void {
    this.signings.inc({ result: 'signed' });
    this.latency.observe(Math.max(0, seconds));
  }

  failed(final: boolean): void {
    this.signings.inc({ result: final ? 'failed' : 'retry' });
  }

  /** An import ended: signatures recorded (IMPORTED) or none that verified (REJECTED). */
  imported(status: 'IMPORTED' | 'REJECTED'): void {
    this.imports.inc({ result: status === 'IMPORTED' ? 'imported' : 'rejected' });
  }

  importFailed(final: boolean): void {
    this.imports.inc({ result: final ? 'failed' : 'retry' });
  }

  backlog(n: number): void {
    this.pending = n;
  }
}
