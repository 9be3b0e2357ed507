import type { AttestService } from '../witnesses/attest-service';
import type { WitnessService } from '../witnesses/witness-service';
import { str } from './request-fields';
import { resourceHandlers } from './resource-handlers';
import type { ServiceHandlers } from './rpc-handler';

/** attestd.v1.Witnesses: the resource kit's methods over the witness service, and Attest. */
export function witnessHandlers(witnesses: WitnessService, attest: AttestService): ServiceHandlers {
  return resourceHandlers(witnesses, { Attest: (ctx, r) => attest.attest(ctx, str(r.name), str(r.image)) });
}
