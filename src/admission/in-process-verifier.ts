import os from 'node:os';
import type { Logger } from '../logger';
import type { ClusterReportService } from '../policies/cluster-report-service';
import { adapterVersion } from './adapter-version';
import type { RequestContext } from '../domain/request-context';
import { deadlineIn, withDeadline } from '../domain/request-deadline';
import type { VerifyOutput } from '../verification/verdict';
import type { VerificationService } from '../verification/verification-service';
import { VerifierError, databaseShareMs, misconfigured, type ImageVerifier, type VerifyRequest } from './image-verifier';

/** The subject decisions made by the in-process webhook are recorded under. */
export const ADMISSION_SUBJECT = 'admission-webhook';

/** Verifies through the VerificationService of the same process (`attestd serve --admission`): no HTTP hop. */
export class InProcessVerifier implements ImageVerifier {
  readonly describe = 'in-process';
  private readonly parent: string;

  constructor(
    private readonly verification: VerificationService,
    private readonly reports: ClusterReportService,
    private readonly project: string,
    private readonly cluster: string,
    private readonly logger: Logger,
    /** The name it reports in under (default: the host name). */
    private readonly adapter = os.hostname(),
  ) {
    this.parent = `projects/${project}`;
  }

  async verify(request: VerifyRequest, signal: AbortSignal, deadlineMs: number): Promise<VerifyOutput> {
    // A database that hangs still yields a recorded denial saying so, within the review's deadline (ADR 0075).
    const database = deadlineIn(databaseShareMs(deadlineMs), "the database's share of ADMISSION_DEADLINE_MS");
    const work = withDeadline(database, () =>
      this.verification.verify(this.context(request.review.uid ?? 'admission'), this.parent, {
        cluster: this.cluster,
        ...request,
        source: 'admission',
      }),
    );
    try {
      return await raceAbort(work, signal);
    } catch (err) {
      throw this.toVerifierError(err);
    }
  }

  /** As the remote adapter does, through the service: proves project and cluster and records the report. */
  async reportIn(decisionsServed: number): Promise<VerifierError | undefined> {
    const input = { adapter: this.adapter, version: adapterVersion(), mode: 'in-process', decisionsServed };
    try {
      await this.reports.reportIn(this.context('admission-report'), `${this.parent}/clusters/${this.cluster}`, input);
      return undefined;
    } catch (err) {
      return this.toVerifierError(err);
    }
  }

  close(): void {}

  private context(requestId: string): RequestContext {
    return { requestId, principal: { subject: ADMISSION_SUBJECT, roles: { [this.project]: ['admission'] } }, transport: 'internal' };
  }

  private toVerifierError(err: unknown): VerifierError {
    if (err instanceof VerifierError) return err;
    const api = this.verification.asApiError(err);
    if (api) {
      if (api.code === 'UNAVAILABLE') return new VerifierError(`attestd is unavailable: ${api.message}`, 'UNREACHABLE');
      const wrongSetting = api.code === 'NOT_FOUND' ? misconfigured(api.message, this.project, this.cluster) : undefined;
      if (wrongSetting) return wrongSetting;
      return new VerifierError(`attestd refused the check (${api.code}: ${api.message})`, 'REJECTED');
    }
    // A bug, not a verdict: its cause goes to the log (the denial the user reads says where to look).
    this.logger.error({ err, project: this.project, cluster: this.cluster }, 'admission check failed unexpectedly');
    return new VerifierError("attestd failed while checking the images (internal error; see attestd's log)", 'FAILED');
  }
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  // AbortSignal.reason is typed any: it is the VerifierError the admission handler aborts with.
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- see above
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- see above
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.finally(() => signal.removeEventListener('abort', onAbort)).then(resolve, reject);
  });
}
