import type { KeyService } from '../kms/key-service';
import type { ServiceHandlers } from './rpc-handler';
import { bytes, obj, optStr, paging, str } from './request-fields';

/** attestd.v1.KeyManagement over the key service. */
export function keyHandlers(keys: KeyService): ServiceHandlers {
  return {
    service: 'attestd.v1.KeyManagement',
    methods: {
      CreateKey: async (ctx, r) => {
        const k = obj(r.key);
        return {
          ...(await keys.create(ctx, str(r.parent), str(r.keyId), {
            keySpec: optStr(k.keySpec),
            purpose: optStr(k.purpose),
            algorithm: optStr(k.algorithm),
            description: optStr(k.description),
          })),
        };
      },
      GetKey: async (ctx, r) => ({ ...(await keys.get(ctx, str(r.name))) }),
      ListKeys: async (ctx, r) => {
        const { pageSize, pageToken } = paging(r);
        return { ...(await keys.list(ctx, str(r.parent), pageSize, pageToken)) };
      },
      GetPublicKey: async (ctx, r) => ({ ...(await keys.publicKey(ctx, str(r.name), optStr(r.version))) }),
      Sign: async (ctx, r) => {
        const out = await keys.sign(ctx, str(r.name), bytes(r.data));
        return { name: out.name, signature: out.signature.toString('base64'), algorithm: out.algorithm };
      },
      Verify: async (ctx, r) => ({ ...(await keys.verify(ctx, str(r.name), bytes(r.data), bytes(r.signature), optStr(r.version))) }),
      RotateKey: async (ctx, r) => ({ ...(await keys.rotate(ctx, str(r.name))) }),
      DisableKey: async (ctx, r) => ({ ...(await keys.setEnabled(ctx, str(r.name), false)) }),
      EnableKey: async (ctx, r) => ({ ...(await keys.setEnabled(ctx, str(r.name), true)) }),
    },
  };
}
