import { connect } from 'node:net';
import { ERROR_CODES, ERROR_STATUS, type ErrorPayload } from '@chatwire/protocol';

/** An HTTP/1.1 request written byte for byte, so that header values fetch() would refuse reach the server. */
export interface RawRequest {
  method: string;
  target: string;
  /** Default `HTTP/1.1`. */
  version?: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: Uint8Array;
  /** Send the body chunked in pieces of this many bytes instead of with Content-Length. */
  chunkSize?: number;
  /** Write exactly the given head: no Host, Connection: close or framing headers added. */
  bare?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The server answered, or closed the connection without an answer. */
export type RawOutcome = { type: 'response'; response: RawResponse } | { type: 'closed'; received: string };

/** Encodes a request; strings become UTF-8, so control characters and non-ASCII go out as they are. */
export function encodeRequest(request: RawRequest, port: number): Buffer {
  const headers: Array<readonly [string, string]> = [];
  if (!request.bare) headers.push(['Host', `127.0.0.1:${port}`], ['Connection', 'close']);
  headers.push(...(request.headers ?? []));
  const body = request.body;
  let payload = Buffer.alloc(0);
  if (request.chunkSize !== undefined && body) {
    if (!request.bare) headers.push(['Transfer-Encoding', 'chunked']);
    const pieces: Buffer[] = [];
    for (let offset = 0; offset < body.length; offset += request.chunkSize) {
      const piece = body.subarray(offset, offset + request.chunkSize);
      pieces.push(Buffer.from(`${piece.length.toString(16)}\r\n`), Buffer.from(piece), Buffer.from('\r\n'));
    }
    pieces.push(Buffer.from('0\r\n\r\n'));
    payload = Buffer.concat(pieces);
  } else if (body) {
    if (!request.bare) headers.push(['Content-Length', String(body.length)]);
    payload = Buffer.from(body);
  } else if (!request.bare && ['POST', 'PUT', 'PATCH'].includes(request.method)) {
    headers.push(['Content-Length', '0']);
  }
  const head = [
    `${request.method} ${request.target} ${request.version ?? 'HTTP/1.1'}`,
    ...headers.map(([name, value]) => `${name}: ${value}`),
  ];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'utf8'), payload]);
}

/** Sends one raw request on a fresh connection and reads one response (skipping `100 Continue`). */
export function sendRaw(port: number, request: RawRequest, signal: AbortSignal): Promise<RawOutcome> {
  const bytes = encodeRequest(request, port);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (outcome: RawOutcome | Error) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = () => finish(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', () => {}); // EPIPE/ECONNRESET after the server answered and closed: read what arrived
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        const parsed = parseResponse(received, request.method === 'HEAD', false);
        if (parsed) finish({ type: 'response', response: parsed });
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.on('close', () => {
      try {
        const parsed = parseResponse(received, request.method === 'HEAD', true);
        finish(
          parsed ? { type: 'response', response: parsed } : { type: 'closed', received: received.toString('latin1') },
        );
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.write(bytes);
  });
}

/** Parses a complete response out of `data`, or undefined while more must come. */
function parseResponse(data: Buffer, head: boolean, closed: boolean): RawResponse | undefined {
  let offset = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', offset);
    if (end < 0) return undefined;
    const lines = data.subarray(offset, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? Number.NaN);
    if (Number.isNaN(status)) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const bodyStart = end + 4;
    if (status >= 100 && status < 200 && status !== 101) {
      offset = bodyStart;
      continue;
    }
    if (head || status === 101 || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0) };
    const rest = data.subarray(bodyStart);
    if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
      const body = dechunk(rest);
      if (body) return { status, headers, body };
      return closed ? { status, headers, body: rest } : undefined;
    }
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (rest.length >= length) return { status, headers, body: rest.subarray(0, length) };
      return closed ? { status, headers, body: rest } : undefined;
    }
    return closed ? { status, headers, body: rest } : undefined;
  }
}

function dechunk(data: Buffer): Buffer | undefined {
  const pieces: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) throw new Error('bad chunked encoding from the server');
    if (size === 0) return data.indexOf('\r\n', lineEnd + 2) >= 0 ? Buffer.concat(pieces) : undefined;
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    pieces.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}

/** How a response was produced, as far as the bytes tell. */
export type ResponseKind =
  /** 2xx/3xx. */
  | 'success'
  /** The protocol's JSON error body. */
  | 'protocol-error'
  /** Koa's and @koa/router's own `404 Not Found` / `405 Method Not Allowed` text. */
  | 'router'
  /** Status line and headers only: Node's HTTP parser refusing the request, or the WS upgrade handler's `refuse()`. */
  | 'bare'
  /** The `ws` library refusing a malformed handshake (`text/html` reason); only for upgrade requests. */
  | 'ws-library';

/**
 * Checks the invariants every response must keep and says which kind it is: never a 5xx, and every 4xx is either the
 * protocol's `{"error":{"code","message","retryable"}}` (known code, the code's own status, no stack trace), the
 * router's plain 404/405, or a body-less refusal. Throws a readable error otherwise.
 */
export function classifyResponse(response: RawResponse, method = 'GET', upgrade = false): ResponseKind {
  const { status, headers, body } = response;
  const text = body.toString('utf8');
  const show = () => `${status} ${JSON.stringify(headers)} ${JSON.stringify(text.slice(0, 300))}`;
  if (status >= 500) throw new Error(`5xx answer: ${show()}`);
  if (status < 400) return 'success';
  const type = headers['content-type'] ?? '';
  // A HEAD answer has no body to check (and Koa drops the type of its own 404/405 text).
  if (method === 'HEAD')
    return type.startsWith('application/json')
      ? 'protocol-error'
      : status === 404 || status === 405
        ? 'router'
        : 'bare';
  if (type.startsWith('application/json')) {
    expectErrorBody(status, text);
    return 'protocol-error';
  }
  // Koa's default text is the status message, or the bare number when the request line said HTTP/2.x.
  if (
    type.startsWith('text/plain') &&
    ((status === 404 && ['Not Found', '404'].includes(text)) ||
      (status === 405 && ['Method Not Allowed', '405'].includes(text)))
  ) {
    return 'router';
  }
  if (type === '' && body.length === 0) return 'bare';
  if (upgrade && type === 'text/html' && (status === 400 || status === 405)) return 'ws-library';
  throw new Error(`4xx answer without the protocol's error body: ${show()}`);
}

/** Parses and checks a protocol error body; returns its payload. */
export function expectErrorBody(status: number, text: string): ErrorPayload {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`error body is not JSON: ${status} ${JSON.stringify(text.slice(0, 300))}`);
  }
  const fail = (why: string) => new Error(`bad error body (${why}): ${status} ${text.slice(0, 300)}`);
  if (typeof json !== 'object' || json === null || Object.keys(json).join() !== 'error')
    throw fail('must be exactly {"error":{...}}');
  const error = (json as { error: unknown }).error as Partial<ErrorPayload> | null;
  if (typeof error !== 'object' || error === null) throw fail('error is not an object');
  checkErrorPayload(error, fail);
  if (ERROR_STATUS[error.code as keyof typeof ERROR_STATUS] !== status)
    throw fail(`code ${error.code} goes with ${ERROR_STATUS[error.code as keyof typeof ERROR_STATUS]}`);
  return error as ErrorPayload;
}

/** Checks `{code, message, retryable, retry_after_ms?}` (HTTP error bodies and WS error frames alike). */
export function checkErrorPayload(error: Partial<ErrorPayload>, fail: (why: string) => Error): void {
  if (!(ERROR_CODES as readonly unknown[]).includes(error.code))
    throw fail(`unknown code ${JSON.stringify(error.code)}`);
  if (error.code === 'internal') throw fail('internal error');
  if (typeof error.message !== 'string' || error.message === '') throw fail('message must be a non-empty string');
  if (/\n\s+at |node_modules|\/src\//.test(error.message)) throw fail('message leaks internals');
  if (typeof error.retryable !== 'boolean') throw fail('retryable must be a boolean');
  if (error.retry_after_ms !== undefined && !(typeof error.retry_after_ms === 'number' && error.retry_after_ms >= 0))
    throw fail('bad retry_after_ms');
}
