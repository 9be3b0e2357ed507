import { ApiError } from '../domain/api-error';
import type { RequestContext } from '../domain/request-context';
import type { VerifyOutput } from '../verification/verdict';
import type { VerificationService } from '../verification/verification-service';
import { VerifierError, type ImageVerifier, type VerifyRequest } from './image-verifier';

/** The subject decisions made by the in-process webhook are recorded under. */
export const ADMISSION_SUBJECT = 'admission-webhook';

/** Verifies through the VerificationService of the same process (`attestd serve --admission`): no HTTP hop. */
export class InProcessVerifier implements ImageVerifier {
  readonly describe = 'in-process';
  private readonly parent: string;

  constructor(
    private readonly verification: VerificationService,
    private readonly project: string,
    private readonly cluster: string,
  ) {
    this.parent = `projects/${project}`;
  }

  async verify(request: VerifyRequest, signal: AbortSignal): Promise<VerifyOutput> {
    const ctx: RequestContext = {
      requestId: request.review.uid ?? 'admission',
      principal: { subject: ADMISSION_SUBJECT, roles: { [this.project]: ['admission'] } },
      transport: 'internal',
    };
    const work = this.verification.verify(ctx, this.parent, { cluster: this.cluster, ...request, source: 'admission' });
    try {
      return await raceAbort(work, signal);
    } catch (err) {
      throw toVerifierError(err);
    }
  }

  probe(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  close(): void {}
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

function toVerifierError(err: unknown): VerifierError {
  if (err instanceof VerifierError) return err;
  if (err instanceof ApiError) {
    if (err.code === 'UNAVAILABLE') return new VerifierError(`attestd is unavailable: ${err.message}`, 'UNREACHABLE');
    return new VerifierError(`attestd refused the check (${err.code}: ${err.message})`, 'REJECTED');
  }
  return new VerifierError("attestd failed while checking the images (internal error; see attestd's log)", 'FAILED');
}
