import crypto from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, invalidArgument } from '../../domain/api-error';
import type { Logger } from '../../logger';
import { googleError } from './google-error';

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
};

/**
 * Answers requests Node's HTTP parser rejects before express sees them (headers over the 16 KiB
 * limit, malformed request lines) with the same Google error body as every other error, then closes.
 */
export function answerClientErrors(server: http.Server, logger: Logger): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const requestId = crypto.randomUUID();
    // A response already under way on this connection cannot be followed by another one.
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight) {
      socket.destroy();
      return;
    }
    let status = 400;
    let apiError: ApiError;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      status = 431;
      apiError = new ApiError('RESOURCE_EXHAUSTED', 'the request headers are larger than the 16 KiB limit');
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      status = 408;
      apiError = new ApiError('DEADLINE_EXCEEDED', 'the request was not received in time');
    } else if (err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
      status = 413;
      apiError = new ApiError('RESOURCE_EXHAUSTED', 'the request chunk extensions are too large');
    } else {
      apiError = invalidArgument('the request is not valid HTTP/1.1');
    }
    logger.info({ requestId, code: err.code, status }, 'malformed HTTP request refused');
    const body = JSON.stringify(googleError(apiError, requestId, status).body);
    socket.end(
      `HTTP/1.1 ${status} ${REASONS[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${requestId}\r\n` +
        'Cache-Control: no-store\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
