import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { commentOf, fieldBehaviors, SchemaRegistry, schemaName, type JsonSchema } from './openapi-schemas';
import { openApiPath } from './openapi-paths';
import { attestdProtoFiles, GRAFEAS_PROTO_FILES, PROTO_INCLUDE_DIRS } from '../../src/proto/proto-root';
import { typePlan, type FieldPlan } from '../../src/proto/type-plan';
import { ERROR_CODES } from '../../src/domain/error-codes';

/** Where `npm run api:openapi` writes the document, relative to the project directory. */
export const OPENAPI_FILE = path.join('api', 'openapi.json');

/** The project directory (the one holding package.json) above this file, in src/ or dist/src/. */
export function projectDir(start: string = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

/**
 * Grafeas v1 and attestd's protos loaded with their comments (alternateCommentMode keeps `//`
 * comments); a root of its own, since the server's shared root is loaded without them.
 */
export function loadCommentedProtoRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (path.isAbsolute(target)) return target;
    const dir = PROTO_INCLUDE_DIRS.find((d) => fs.existsSync(path.join(d, target)));
    return dir ? path.join(dir, target) : target;
  };
  root.loadSync([...GRAFEAS_PROTO_FILES, 'google/protobuf/empty.proto', ...attestdProtoFiles()], {
    keepCase: true,
    alternateCommentMode: true,
  });
  root.resolveAll();
  return root;
}

/** The services `attestd serve` exposes over REST: Grafeas and every service in package attestd.v1. */
export function exposedServices(root: protobuf.Root): protobuf.Service[] {
  const ns = root.lookup('attestd.v1');
  const own = ns instanceof protobuf.Namespace ? ns.nestedArray.filter((n): n is protobuf.Service => n instanceof protobuf.Service) : [];
  return [root.lookupService('grafeas.v1.Grafeas'), ...own.sort((a, b) => a.name.localeCompare(b.name))];
}

type Verb = 'get' | 'post' | 'patch' | 'put' | 'delete';
type HttpRule = Partial<Record<Verb, string>> & { body?: string; additional_bindings?: HttpRule | HttpRule[] };
const VERBS: readonly Verb[] = ['get', 'post', 'patch', 'put', 'delete'];

/** The method's google.api.http rule followed by its additional bindings. */
function httpRules(method: protobuf.Method): HttpRule[] {
  const rule = (method.parsedOptions ?? []).find((o: Record<string, unknown>) => o['(google.api.http)'])?.['(google.api.http)'] as
    HttpRule | undefined;
  if (!rule) return [];
  const extra = rule.additional_bindings;
  return [rule, ...(Array.isArray(extra) ? extra : extra ? [extra] : [])];
}

const ERROR = { $ref: '#/components/responses/Error' };

/** The OpenAPI 3.1 document of the REST surface: every binding of every exposed service, plus operations endpoints. */
export function buildOpenApi(root: protobuf.Root): JsonSchema {
  const registry = new SchemaRegistry();
  const paths: Record<string, Record<string, unknown>> = { ...operationsPaths() };
  const tags: JsonSchema[] = [{ name: 'Operations', description: 'Liveness, readiness and Prometheus metrics.' }];
  for (const service of exposedServices(root)) {
    tags.push({ name: service.name, description: commentOf(service.comment) ?? `${schemaName(service)} (gRPC service of the same name).` });
    for (const method of service.methodsArray) {
      method.resolve();
      httpRules(method).forEach((rule, i) => {
        const verb = VERBS.find((v) => typeof rule[v] === 'string');
        if (!verb) return;
        const { path: p, op } = operation(registry, service, method, rule, verb, i);
        if (paths[p]?.[verb]) throw new Error(`${method.fullName}: ${verb.toUpperCase()} ${p} is bound twice`);
        paths[p] = { ...paths[p], [verb]: op };
      });
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'attestd REST API',
      version: 'v1',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      description:
        "Grafeas v1 and attestd's own resources over REST, generated from the protos' google.api.http options " +
        '(`npm run api:openapi`). Bodies are proto3 JSON: lowerCamelCase names (proto names accepted on input), ' +
        'enums as names, 64-bit integers as strings, bytes base64, timestamps RFC 3339. See api/README.md.',
    },
    servers: [{ url: 'http://localhost:8080', description: '`attestd serve` with the default HTTP_PORT' }],
    security: [{ bearerAuth: [] }],
    tags,
    paths,
    components: {
      schemas: { ...registry.schemas, ErrorResponse: errorSchema() },
      responses: {
        Error: {
          description: 'A Google-shaped error; `error.status` is the canonical code, `error.code` the HTTP status.',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
        },
      },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A JWT with `aud` "attestd" and per-project `roles`.',
        },
      },
    },
  };
}

function operation(
  registry: SchemaRegistry,
  service: protobuf.Service,
  method: protobuf.Method,
  rule: HttpRule,
  verb: Verb,
  index: number,
): { path: string; op: JsonSchema } {
  const request = method.resolvedRequestType!;
  const plan = typePlan(request);
  const { path: p, params } = openApiPath(rule[verb]!);
  const pathFields = new Set(params.map((pp) => pp.field));
  const parameters: JsonSchema[] = params.map((pp) => ({
    name: pp.name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    description:
      `A segment of \`${plan.byInputName.get(pp.field)?.jsonName ?? pp.field}\` = \`${pp.pattern}\`.` +
      (pp.name === 'location' ? ' Regional names address the same resources as global ones.' : ''),
  }));
  const body = rule.body;
  if (body !== '*') {
    const query = plan.fields.filter((fp) => !pathFields.has(fp.protoName) && fp.protoName !== body);
    for (const fp of query.sort((a, b) => a.jsonName.localeCompare(b.jsonName))) {
      const param = queryParameter(registry, fp);
      if (param) parameters.push(param);
    }
  }
  const op: JsonSchema = {
    operationId: `${service.name}_${method.name}${index > 0 ? `_${index + 1}` : ''}`,
    summary: method.name,
    tags: [service.name],
    'x-grpc-method': `${schemaName(service)}/${method.name}`,
    security: [{ bearerAuth: [] }],
    parameters,
    responses: {
      '200': {
        description: `The ${schemaName(method.resolvedResponseType!)}.`,
        content: { 'application/json': { schema: registry.typeSchema(method.resolvedResponseType!) } },
      },
      '4XX': ERROR,
      '5XX': ERROR,
    },
  };
  const description = commentOf(method.comment);
  if (description) op.description = description;
  if (body === '*') {
    op.requestBody = { content: { 'application/json': { schema: registry.objectSchema(request, pathFields) } } };
  } else if (body) {
    const fp = plan.byInputName.get(body);
    if (!fp) throw new Error(`${method.fullName}: body field "${body}" is not a field of ${request.fullName}`);
    const required = fieldBehaviors(fp.field).includes('REQUIRED');
    op.requestBody = { required, content: { 'application/json': { schema: registry.fieldSchema(fp) } } };
  }
  return { path: p, op };
}

/** A query parameter for a singular field whose JSON is a scalar; undefined for messages and lists. */
function queryParameter(registry: SchemaRegistry, fp: FieldPlan): JsonSchema | undefined {
  if (fp.repeated || fp.map) return undefined;
  const schema = registry.fieldSchema(fp);
  if (fp.messageType && !['string', 'number', 'integer', 'boolean'].includes(schema.type as string)) return undefined;
  const { description, ...rest } = schema;
  const alias = fp.protoName !== fp.jsonName ? `Also accepted as \`${fp.protoName}\`.` : '';
  const syntax = fp.protoName === 'filter' ? 'Syntax: [api/filter.md](filter.md).' : '';
  const param: JsonSchema = { name: fp.jsonName, in: 'query', schema: rest };
  const text = [description as string | undefined, syntax, alias].filter(Boolean).join('\n\n');
  if (text) param.description = text;
  if (fieldBehaviors(fp.field).includes('REQUIRED')) param.required = true;
  return param;
}

function errorSchema(): JsonSchema {
  return {
    type: 'object',
    required: ['error'],
    description: 'Every REST error, also for unknown paths, oversized bodies and rate limits.',
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'status'],
        properties: {
          code: { type: 'integer', description: 'The HTTP status.' },
          message: { type: 'string', description: 'What went wrong, in words a caller can act on.' },
          status: {
            type: 'string',
            enum: Object.keys(ERROR_CODES),
            description: 'The canonical (gRPC) code name.',
          },
          details: {
            type: 'array',
            description:
              'google.rpc.RequestInfo (requestId, also sent as the x-request-id header) and, for field errors, google.rpc.BadRequest.',
            items: { type: 'object', required: ['@type'], properties: { '@type': { type: 'string' } }, additionalProperties: true },
          },
        },
      },
    },
  };
}

/** /healthz, /readyz and /metrics: served beside the API, outside the rate limit. */
function operationsPaths(): Record<string, Record<string, unknown>> {
  const status = (example: string): JsonSchema => ({
    'application/json': {
      schema: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] },
      example: { status: example },
    },
  });
  return {
    '/healthz': {
      get: {
        operationId: 'Operations_Healthz',
        summary: 'Liveness',
        tags: ['Operations'],
        security: [],
        responses: { '200': { description: 'The process is up.', content: status('ok') } },
      },
    },
    '/readyz': {
      get: {
        operationId: 'Operations_Readyz',
        summary: 'Readiness',
        tags: ['Operations'],
        security: [],
        responses: {
          '200': { description: 'The database is reachable and migrated.', content: status('ready') },
          '503': { description: 'Not ready.', content: status('not ready: database unreachable or not migrated') },
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'Operations_Metrics',
        summary: 'Prometheus metrics',
        tags: ['Operations'],
        description: 'Public unless METRICS_PUBLIC=false; then a bearer token is required.',
        security: [{}, { bearerAuth: [] }],
        responses: {
          '200': { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } },
          '401': ERROR,
        },
      },
    },
  };
}

/** JSON with every object's keys sorted and a final newline: the committed form of the document. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}
