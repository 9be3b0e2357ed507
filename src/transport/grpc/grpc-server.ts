import crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type protobuf from 'protobufjs';
import type { Authenticator } from '../../auth/authenticator';
import { ERROR_CODES } from '../../domain/error-codes';
import type { JsonObject } from '../../domain/message-types';
import { deadlineIn, earliest, withDeadline, type RequestDeadline } from '../../domain/request-deadline';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { AccessLog } from '../access-log';
import { protoCodec } from '../../proto/proto-codec';
import { attestdProtoFiles, GRAFEAS_PROTO_FILES, PROTO_INCLUDE_DIRS } from '../../proto/proto-root';
import { locationFields, withoutLocations } from '../location-names';
import { authenticate } from '../authentication';
import { peerAddress, rateKey, type RateLimiter } from '../rate-limiter';
import { reportRefusal, resourceOf, type RefusalSink } from '../refusal-sink';
import type { ServiceHandlers } from '../rpc-handler';
import { toApiError, type ErrorClassifier } from '../to-api-error';

/** Largest accepted gRPC message, the same as the REST body limit. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface GrpcDeps {
  readonly root: protobuf.Root;
  readonly services: readonly ServiceHandlers[];
  readonly authenticator: Authenticator;
  readonly logger: Logger;
  /** Classifies storage failures (the unit of work's). */
  readonly classifyError: ErrorClassifier;
  readonly metrics: Metrics;
  /** Per-caller limit for every RPC but health and reflection; none when undefined. */
  readonly rateLimiter?: RateLimiter;
  /** Where refused calls (401 and 403) are reported. */
  readonly onRefusal: RefusalSink;
  /** One line per call (ACCESS_LOG); none when undefined. */
  readonly accessLog?: AccessLog;
  /** How long a call's work may wait on the database (REQUEST_DEADLINE_MS); a shorter grpc-timeout wins. */
  readonly requestDeadlineMs: number;
}

/** A gRPC server with every service's handlers, grpc.health.v1.Health and server reflection. */
export function grpcServer(deps: GrpcDeps): { server: grpc.Server; health: HealthImplementation } {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  for (const svc of deps.services) {
    const { definition, implementation } = bindService(svc, deps);
    server.addService(definition, implementation);
  }
  const health = new HealthImplementation({ '': 'SERVING', ...Object.fromEntries(deps.services.map((s) => [s.service, 'SERVING'])) });
  health.addToServer(server);
  const packageDefinition = protoLoader.loadSync([...GRAFEAS_PROTO_FILES, ...attestdProtoFiles()], {
    includeDirs: PROTO_INCLUDE_DIRS,
    keepCase: true,
  });
  new ReflectionService(packageDefinition).addToServer(server);
  return { server, health };
}

function bindService(svc: ServiceHandlers, deps: GrpcDeps) {
  const service = deps.root.lookupService(svc.service);
  const definition: Record<string, grpc.MethodDefinition<JsonObject, JsonObject>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const handler = svc.methods[method.name];
    if (!handler) continue;
    const req = protoCodec(method.resolvedRequestType!);
    const res = protoCodec(method.resolvedResponseType!);
    // Names in the `/locations/*` form the REST bindings accept address the same resources over gRPC.
    const regional = locationFields(service, method.name);
    definition[method.name] = {
      path: `/${svc.service}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: req.serialize,
      // Decoded inside the handler, so malformed bytes answer INVALID_ARGUMENT rather than INTERNAL.
      requestDeserialize: (buf: Buffer) => buf as unknown as JsonObject,
      responseSerialize: res.serialize,
      responseDeserialize: res.deserialize,
      originalName: method.name,
    };
    implementation[method.name] = (call: grpc.ServerUnaryCall<JsonObject, JsonObject>, callback: grpc.sendUnaryData<JsonObject>) => {
      const started = process.hrtime.bigint();
      const requestId = requestIdOf(call.metadata);
      const trailer = new grpc.Metadata();
      trailer.set('x-request-id', requestId);
      let actor: string | undefined;
      const finish = (code: string): void => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        deps.metrics.observe('grpc', method.name, code, seconds);
        deps.accessLog?.({
          transport: 'grpc',
          method: 'POST',
          route: `/${svc.service}/${method.name}`,
          rpc: method.name,
          status: code,
          durationMs: seconds * 1000,
          actor,
          requestId,
        });
      };
      (async () => {
        // Authenticated once per call, before the rate limiter (which keys on the subject) and before decoding.
        const { ctx, failure } = await authenticate(deps.authenticator, authorizationOf(call.metadata), requestId, 'grpc');
        if (!failure) actor = ctx.principal?.subject;
        if (deps.rateLimiter) {
          const key = rateKey(ctx.principal?.subject, peerAddress(call.getPeer()));
          const decision = deps.rateLimiter.take(key);
          if (!decision.allowed) {
            trailer.set('retry-after', String(decision.retryAfterSeconds));
            throw deps.rateLimiter.refusal(key, decision.retryAfterSeconds);
          }
        }
        const raw = call.request as unknown as Buffer;
        if (failure) {
          // The security log names the resource the call was after, if its message says (the answer stays 401).
          let resource = '';
          try {
            resource = resourceOf(withoutLocations(req.deserialize(raw), regional));
          } catch {
            // an undecodable message names no resource
          }
          deps.onRefusal({ ctx, actor: failure.actor, method: method.name, resource, error: failure.error });
          throw failure.error;
        }
        let request: JsonObject | undefined;
        try {
          request = withoutLocations(req.deserialize(raw), regional);
          const message = request;
          return await withDeadline(callDeadline(call, deps.requestDeadlineMs), () => handler(ctx, message));
        } catch (err) {
          reportRefusal(deps.onRefusal, ctx, method.name, request, err);
          throw err;
        }
      })().then(
        (response) => {
          finish('OK');
          callback(null, response, trailer);
        },
        (err: unknown) => {
          const apiError = toApiError(err, deps.logger, requestId, deps.classifyError);
          finish(apiError.code);
          callback({ code: ERROR_CODES[apiError.code].grpc, details: apiError.message, metadata: trailer });
        },
      );
    };
  }
  return { definition, implementation };
}

/** REQUEST_DEADLINE_MS from now, or the caller's own deadline (grpc-timeout) when that comes first. */
function callDeadline(call: grpc.ServerUnaryCall<JsonObject, JsonObject>, requestDeadlineMs: number): RequestDeadline {
  const now = Date.now();
  const own = deadlineIn(requestDeadlineMs, 'REQUEST_DEADLINE_MS', now);
  const asked = call.getDeadline();
  const at = asked instanceof Date ? asked.getTime() : asked;
  if (!Number.isFinite(at)) return own;
  return earliest(own, { at, ms: Math.max(0, Math.round(at - now)), setting: "the caller's grpc-timeout" });
}

function authorizationOf(metadata: grpc.Metadata): string | undefined {
  const v = metadata.get('authorization')[0];
  return typeof v === 'string' ? v : v?.toString('utf8');
}

function requestIdOf(metadata: grpc.Metadata): string {
  const v = metadata.get('x-request-id')[0];
  return typeof v === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(v) ? v : crypto.randomUUID();
}

/** Binds the server to host:port; resolves the bound port. */
export function bindGrpc(
  server: grpc.Server,
  host: string,
  port: number,
  creds = grpc.ServerCredentials.createInsecure(),
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, creds, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}
