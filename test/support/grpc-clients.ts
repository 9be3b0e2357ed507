import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { attestdProtoFiles, GRAFEAS_PROTO_FILES, PROTO_INCLUDE_DIRS } from '../../src/proto/proto-root';

let definition: protoLoader.PackageDefinition | undefined;
let pkg: grpc.GrpcObject | undefined;

/** The Grafeas and attestd protos as tests' raw gRPC clients see them (JSON names; int64, enums, bytes as strings). */
function loaded(): { definition: protoLoader.PackageDefinition; pkg: grpc.GrpcObject } {
  definition ??= protoLoader.loadSync([...GRAFEAS_PROTO_FILES, ...attestdProtoFiles()], {
    includeDirs: PROTO_INCLUDE_DIRS,
    keepCase: false,
    longs: String,
    enums: String,
    bytes: String,
    defaults: false,
    oneofs: false,
  });
  pkg ??= grpc.loadPackageDefinition(definition);
  return { definition, pkg };
}

/** A raw grpc-js client of one service (full name, e.g. `grafeas.v1.Grafeas`) over an insecure channel. */
export function grpcClient(address: string, service: string, options: grpc.ChannelOptions = {}): grpc.Client {
  const ctor = service.split('.').reduce((o: unknown, k) => (o as Record<string, unknown>)?.[k], loaded().pkg) as
    grpc.ServiceClientConstructor | undefined;
  if (typeof ctor !== 'function') throw new Error(`no service ${service} in the protos`);
  return new ctor(address, grpc.credentials.createInsecure(), options);
}

/** The full names of every service the protos define (Grafeas and attestd's own). */
export function serviceNames(): string[] {
  return Object.entries(loaded().definition)
    .filter(([name, def]) => (def as { format?: string }).format === undefined && !name.startsWith('google.') && !name.startsWith('grpc.'))
    .map(([name]) => name);
}

/** A method of a raw client looked up by name, called as grpc-js does: (request, [metadata, [options,]] callback). */
export type ClientMethod = (...args: unknown[]) => unknown;
