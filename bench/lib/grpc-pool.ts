import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { GRAFEAS_PROTO_FILES, PROTO_INCLUDE_DIRS } from '../../src/proto/proto-root';

type Unary = (request: unknown, metadata: grpc.Metadata, callback: (err: grpc.ServiceError | null, response: unknown) => void) => void;

/** A pool of raw grafeas.v1.Grafeas clients, each on its own HTTP/2 connection; calls go round-robin. */
export class GrafeasGrpcPool {
  private readonly clients: grpc.Client[];
  private readonly metadata = new grpc.Metadata();
  private next = 0;

  constructor(address: string, token: string, size: number) {
    const definition = protoLoader.loadSync([...GRAFEAS_PROTO_FILES], {
      includeDirs: PROTO_INCLUDE_DIRS,
      keepCase: false,
      longs: String,
      enums: String,
      bytes: String,
      defaults: false,
      oneofs: false,
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as { grafeas: { v1: { Grafeas: grpc.ServiceClientConstructor } } };
    const options = {
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      // Without a local subchannel pool, clients to one address share a single connection.
      'grpc.use_local_subchannel_pool': 1,
    };
    this.clients = Array.from({ length: size }, () => new pkg.grafeas.v1.Grafeas(address, grpc.credentials.createInsecure(), options));
    this.metadata.set('authorization', `Bearer ${token}`);
  }

  /** Calls a unary Grafeas method on the next client of the pool. */
  call<T>(method: string, request: unknown): Promise<T> {
    const client = this.clients[this.next++ % this.clients.length]! as unknown as Record<string, Unary>;
    return new Promise<T>((resolve, reject) => {
      client[method]!.call(client, request, this.metadata, (err, response) => (err ? reject(err) : resolve(response as T)));
    });
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}
