import client from 'prom-client';

/** Prometheus metrics of the admission webhook, on its own registry (served at the webhook's /metrics). */
export class AdmissionMetrics {
  readonly registry = new client.Registry();
  private readonly reviews = new client.Counter({
    name: 'attestd_admission_reviews_total',
    help: 'Admission reviews answered, by outcome (allowed, denied, dry-run, breakglass, unchecked, fail-open)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly latency = new client.Histogram({
    name: 'attestd_admission_review_duration_seconds',
    help: 'Time from a decoded review to its answer',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly badRequests = new client.Counter({
    name: 'attestd_admission_bad_requests_total',
    help: 'Requests to /validate or /mutate answered 400 or 413',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly tagResolutions = new client.Counter({
    name: 'attestd_admission_tag_resolutions_total',
    help: 'Images the mutating webhook looked at, by outcome (resolved, digest = already by digest, unresolved = left as written)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  /** Records one answered review. */
  observe(outcome: string, seconds: number): void {
    this.reviews.inc({ outcome });
    this.latency.observe(seconds);
  }
}
