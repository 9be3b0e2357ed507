import client from 'prom-client';

/** Prometheus metrics for requests per RPC and transport, and database pool usage. */
export class Metrics {
  readonly registry = new client.Registry();
  private readonly requests = new client.Counter({
    name: 'attestd_requests_total',
    help: 'Requests handled, by transport, RPC and status code',
    labelNames: ['transport', 'rpc', 'code'],
    registers: [this.registry],
  });
  private readonly latency = new client.Histogram({
    name: 'attestd_request_duration_seconds',
    help: 'Request latency, by transport and RPC',
    labelNames: ['transport', 'rpc'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor() {
    client.collectDefaultMetrics({ register: this.registry });
  }

  /** Records one finished request. */
  observe(transport: string, rpc: string, code: string, seconds: number): void {
    this.requests.inc({ transport, rpc, code });
    this.latency.observe({ transport, rpc }, seconds);
  }

  /** Registers a counter (name ending in `_total`); returns its increment. */
  counter(name: `${string}_total`, help: string): () => void {
    const c = new client.Counter({ name, help, registers: [this.registry] });
    return () => c.inc();
  }

  /** Registers a gauge whose value is read at scrape time. */
  gauge(name: string, help: string, read: () => number): void {
    new client.Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }
}
