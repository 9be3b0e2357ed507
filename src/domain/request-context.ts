/** Who is calling: the verified token's subject and its roles per project (`*` = every project). */
export interface Principal {
  readonly subject: string;
  readonly roles: Readonly<Record<string, readonly string[]>>;
}

/** What every service call carries from the transport: the request id for logs and errors, and the caller. */
export interface RequestContext {
  readonly requestId: string;
  readonly principal: Principal | undefined;
  readonly transport: 'rest' | 'grpc' | 'internal';
}

/** A context for work attestd does on its own behalf (workers, CLI bootstrap). */
export function internalContext(requestId: string, subject = 'attestd'): RequestContext {
  return { requestId, principal: { subject, roles: { '*': ['admin'] } }, transport: 'internal' };
}
