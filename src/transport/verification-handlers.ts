import { listQuery } from '../domain/list-query';
import type { DecisionService } from '../verification/decision-service';
import type { ReviewContext } from '../verification/verdict';
import type { VerificationService } from '../verification/verification-service';
import { obj, str, strings } from './request-fields';
import type { ServiceHandlers } from './rpc-handler';

/** attestd.v1.Verification over the verification and decision services. */
export function verificationHandlers(verification: VerificationService, decisions: DecisionService): ServiceHandlers {
  return {
    service: 'attestd.v1.Verification',
    methods: {
      VerifyImages: async (ctx, r) => {
        const review = r.review ? (obj(r.review) as ReviewContext) : undefined;
        const input = {
          cluster: str(r.cluster),
          namespace: str(r.namespace),
          images: strings(r.images),
          breakglass: r.breakglass === true,
          review,
          source: review ? ('admission' as const) : ('verifyImages' as const),
        };
        return { ...(await verification.verify(ctx, str(r.parent), input)) };
      },
      ListDecisions: async (ctx, r) => {
        const page = await decisions.list(ctx, str(r.parent), listQuery(r));
        return { decisions: page.items, nextPageToken: page.nextPageToken };
      },
    },
  };
}
