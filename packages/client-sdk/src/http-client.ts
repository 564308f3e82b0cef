import type { ErrorCode } from '@chatwire/protocol';
import { ChatError, isErrorPayload, type ChatErrorCode } from './chat-error.js';
import type { StatsRecorder } from './chat-stats.js';

/** Options of {@link createHttpClient}. */
export interface HttpClientOptions {
  /** The server's base URL, e.g. `http://localhost:8000` (a path prefix is kept). */
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  /** Headers sent with every request (`Authorization` among them when there is an API key). */
  headers: Readonly<Record<string, string>>;
}

/** One request made through an {@link HttpClient}. */
export interface HttpRequest {
  method?: 'GET' | 'POST';
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  stats?: StatsRecorder;
}

/** The HTTP side of a client: JSON requests that answer an OK response or throw a {@link ChatError}. */
export interface HttpClient {
  /** Scheme, host and port of the server, safe to show (no credentials, no query). */
  readonly origin: string;
  /** Sends a request; resolves with a 2xx response, throws `ChatError` for an error response or a network failure. */
  send(path: string, request?: HttpRequest): Promise<Response>;
  /** Reads a JSON body (counting its bytes); a body that is not JSON is `bad_response`. */
  readJson<T>(response: Response, stats?: StatsRecorder): Promise<T>;
}

/** Creates the HTTP client the sync, polling and SSE transports share. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const origin = new URL(base).origin;
  // Called unbound: a browser's fetch throws "Illegal invocation" when called as a method of another object.
  const { fetch: fetchFunction } = options;

  async function readJson<T>(response: Response, stats?: StatsRecorder): Promise<T> {
    let bytes: ArrayBuffer;
    try {
      bytes = await response.arrayBuffer();
    } catch (error) {
      // The connection broke mid-body: as retryable as one that broke before the headers (an abort stays an abort).
      if ((error as { name?: unknown } | null)?.name === 'AbortError') throw error;
      throw new ChatError('network', `the connection to ${origin} broke while reading the answer`, { cause: error });
    }
    stats?.received(bytes.byteLength);
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as T;
    } catch (error) {
      throw new ChatError('bad_response', `${origin} answered something that is not JSON`, {
        status: response.status,
        cause: error,
      });
    }
  }

  return {
    origin,
    readJson,
    async send(path, request = {}) {
      const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...request.headers };
      const init: RequestInit = { method: request.method ?? 'GET', headers };
      if (request.body !== undefined) {
        headers['content-type'] = 'application/json';
        init.body = JSON.stringify(request.body);
      }
      if (request.signal) init.signal = request.signal;
      request.stats?.request();
      let response: Response;
      try {
        response = await fetchFunction(`${base}${path}`, init);
      } catch (error) {
        if (request.signal?.aborted) throw error;
        throw networkError(origin, error);
      }
      if (response.ok) return response;
      throw await errorFromResponse(response, origin, request.stats);
    },
  };
}

/** The {@link ChatError} an error response describes: its protocol body, or a code guessed from the status. */
export async function errorFromResponse(response: Response, origin: string, stats?: StatsRecorder): Promise<ChatError> {
  const text = await response.text().catch(() => '');
  stats?.received(new TextEncoder().encode(text).byteLength);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const options = { status: response.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const payload = (body as { error?: unknown } | undefined)?.error;
  if (isErrorPayload(payload)) return ChatError.fromPayload(payload, options);
  const code: ChatErrorCode = STATUS_CODES[response.status] ?? 'bad_response';
  const hint = code === 'not_found' ? ' (is this a chatwire server?)' : '';
  // A gateway's 502/504 page is worth retrying; anything else that is not the protocol is not.
  const retryable = code === 'bad_response' ? response.status >= 500 : undefined;
  return new ChatError(code, `${origin} answered HTTP ${response.status}${hint}`, {
    ...options,
    ...(retryable === undefined ? {} : { retryable }),
  });
}

/** A fetch failure as a `network` ChatError, naming the server and the system error code (never the full URL). */
export function networkError(origin: string, error: unknown): ChatError {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return new ChatError('network', `could not reach ${origin}${detail ? ` (${detail})` : ''}`, { cause: error });
}

/** Parses `Retry-After` (delay in seconds, or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  429: 'rate_limited',
  500: 'internal',
  503: 'overloaded',
};
