import crypto from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type protobuf from 'protobufjs';
import { type ApiError, invalidArgument, PayloadTooLargeError } from '../../domain/api-error';
import { decodeUtf8 } from '../../domain/strict-utf8';
import type { JsonObject } from '../../domain/message-types';
import type { RequestContext } from '../../domain/request-context';
import { deadlineIn, earliest, withDeadline, type RequestDeadline } from '../../domain/request-deadline';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import { readProtoJson } from '../../proto/proto-json-reader';
import { reportRefusal, type RefusalSink } from '../refusal-sink';
import type { ServiceHandlers } from '../rpc-handler';
import { fieldJsonName } from '../../proto/type-plan';
import { withoutLocation } from '../location-names';
import { toApiError, type ErrorClassifier } from '../to-api-error';
import { googleError } from './google-error';
import { httpBindings, type HttpBinding } from './http-bindings';
import { requestContextOf } from './rest-authentication';

/** Query parameters every Google API accepts and attestd ignores (`$alt=json;enum-encoding=int` and friends). */
const SYSTEM_PARAMS = new Set([
  'alt',
  'fields',
  'key',
  'prettyPrint',
  'access_token',
  'quotaUser',
  'callback',
  'upload_protocol',
  'uploadType',
]);

export interface RestDeps {
  readonly logger: Logger;
  /** Classifies storage failures (the unit of work's). */
  readonly classifyError: ErrorClassifier;
  readonly metrics: Metrics;
  /** Where calls the services refuse (403, or 401 for a missing caller) are reported. */
  readonly onRefusal: RefusalSink;
  /** How long a request's work may wait on the database (REQUEST_DEADLINE_MS). */
  readonly requestDeadlineMs: number;
}

/** An express router serving each RPC of the services at every google.api.http binding in its proto. */
export function restRouter(root: protobuf.Root, services: readonly ServiceHandlers[], deps: RestDeps): express.Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  for (const svc of services) {
    for (const binding of httpBindings(root.lookupService(svc.service))) {
      const handler = svc.methods[binding.rpc];
      if (!handler) continue;
      router[binding.verb](binding.route, async (req: Request, res: Response) => {
        const started = process.hrtime.bigint();
        const requestId = String(res.locals.requestId);
        res.locals.rpc = binding.rpc;
        let code = 'OK';
        let ctx: RequestContext | undefined;
        let request: JsonObject | undefined;
        try {
          // Authenticated before routing (authenticateRequests): failed credentials never get here.
          const caller = requestContextOf(res);
          const message = buildRequest(binding, req);
          [ctx, request] = [caller, message];
          const deadline = restDeadline(req, deps.requestDeadlineMs);
          const response = await withDeadline(deadline, () => handler(caller, message));
          res.status(200).json(response);
        } catch (err) {
          if (ctx) reportRefusal(deps.onRefusal, ctx, binding.rpc, request, err);
          const apiError = toApiError(err, deps.logger, requestId, deps.classifyError);
          code = apiError.code;
          const { status, body } = googleError(apiError, requestId);
          res.status(status).json(body);
        } finally {
          deps.metrics.observe('rest', binding.rpc, code, Number(process.hrtime.bigint() - started) / 1e9);
        }
      });
    }
  }
  return router;
}

/** Assembles the request message from path variables, the body and query parameters, then validates it. */
function buildRequest(binding: HttpBinding, req: Request): JsonObject {
  const request: JsonObject = {};
  for (const pf of binding.pathFields) {
    const value = pf.segments.map((s) => (s.startsWith(':') ? String(req.params[s.slice(1)]) : s)).join('/');
    request[pf.field] = withoutLocation(value);
  }
  if (binding.body !== undefined) {
    const body = parseBody(req);
    if (binding.body === '*') {
      if (body !== undefined && !isObject(body)) throw invalidArgument('the request body must be a JSON object');
      for (const [k, v] of Object.entries(body ?? {})) {
        if (k in request) throw invalidArgument(`body field "${k}" repeats a value given in the URL path`);
        request[k] = v;
      }
    } else if (body !== undefined) {
      request[binding.body] = body;
    }
  }
  for (const [key, value] of Object.entries(req.query)) {
    if (key.startsWith('$') || SYSTEM_PARAMS.has(key)) continue;
    if (key in request) throw invalidArgument(`query parameter "${key}" repeats a value given in the path or body`);
    if (typeof value !== 'string') throw invalidArgument(`query parameter "${key}" must be given once, as a plain value`);
    request[key] = queryValue(binding.requestType, key, value);
  }
  return readProtoJson(binding.requestType, request);
}

/**
 * REQUEST_DEADLINE_MS from now, or the caller's own deadline when it sends a shorter `X-Server-Timeout` (seconds,
 * as Google's REST APIs accept it; the admission adapter sends it).
 */
function restDeadline(req: Request, requestDeadlineMs: number): RequestDeadline {
  const now = Date.now();
  const own = deadlineIn(requestDeadlineMs, 'REQUEST_DEADLINE_MS', now);
  const header = req.get('x-server-timeout');
  if (header === undefined) return own;
  if (!/^\d{1,6}(\.\d{1,6})?$/.test(header.trim())) {
    throw invalidArgument(`the X-Server-Timeout header must be a number of seconds such as "4.5", got "${header.slice(0, 40)}"`);
  }
  const ms = Math.round(Number(header.trim()) * 1000);
  return earliest(own, deadlineIn(ms, "the caller's X-Server-Timeout", now));
}

/** Query parameters are text: `true`/`false` for a bool field become JSON booleans; the rest stays as sent. */
function queryValue(type: protobuf.Type, key: string, value: string): unknown {
  const field = type.fields[key] ?? type.fieldsArray.find((f) => fieldJsonName(f) === key);
  if (field?.type === 'bool' && !field.repeated && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

function parseBody(req: Request): unknown {
  const raw = Buffer.isBuffer(req.body) ? decodeUtf8(req.body, 'the request body') : '';
  if (raw.trim() === '' || raw.trim() === '""') return undefined;
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw invalidArgument(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

function isObject(v: unknown): v is JsonObject {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Assigns each request an id (a sane incoming `x-request-id` is kept) and echoes it in the response. */
export function requestIds(req: Request, res: Response, next: () => void): void {
  const incoming = req.get('x-request-id');
  const id = incoming && /^[A-Za-z0-9._:-]{1,128}$/.test(incoming) ? incoming : crypto.randomUUID();
  res.locals.requestId = id;
  res.setHeader('x-request-id', id);
  next();
}

/** Google-shaped answers for what express itself rejects: oversized or unreadable bodies, bad URLs. */
export function errorMiddleware(logger: Logger, classifyError: ErrorClassifier) {
  return (err: unknown, _req: Request, res: Response, _next: () => void): void => {
    const requestId = String(res.locals.requestId ?? crypto.randomUUID());
    const status = (err as { status?: number; statusCode?: number })?.status ?? (err as { statusCode?: number })?.statusCode;
    let apiError: ApiError;
    if (status === 413) {
      apiError = new PayloadTooLargeError('the request body is larger than the 16 MiB limit');
    } else if (status && status >= 400 && status < 500) {
      apiError = invalidArgument(`the request could not be read: ${(err as Error).message ?? 'malformed request'}`);
    } else {
      apiError = toApiError(err, logger, requestId, classifyError);
    }
    const { status: code, body } = googleError(apiError, requestId);
    if (!res.headersSent) res.status(code).json(body);
  };
}
