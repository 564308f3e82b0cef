import { ChatError } from '../chat-error.js';
import type { KitCore } from '../http/kit-core.js';
import { errorResponse, serverTiming, startStopwatch, type KitRequest, type KitResponse } from '../http/kit-request.js';
import { createSseStream } from '../http/sse-stream.js';
import type { KitContext } from '../kit-context.js';

/** Options of `kit.fetch`. */
export interface FetchHandlerOptions {
  /**
   * The address of the peer that sent the request (a runtime's socket address, e.g. `info.remoteAddr` in Deno or
   * `server.requestIP(request)` in Bun), for rate limits and `trustedProxies`. Default: `unknown`, so every anonymous
   * client shares one rate-limit key.
   */
  clientAddress?: string | undefined;
}

/** `(Request) => Promise<Response>`: Hono, Next.js route handlers, Bun.serve, Deno.serve. */
export type FetchHandler = (request: Request, options?: FetchHandlerOptions) => Promise<Response>;

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
};

/** Creates the fetch-style handler over the kit's core; paths it does not own get a 404 JSON error. */
export function createFetchHandler(core: KitCore, context: KitContext): FetchHandler {
  let warned = false;
  return async (request, options = {}) => {
    if (options.clientAddress === undefined && !context.authenticate && !warned) {
      warned = true;
      context.logger.warn(
        {},
        'kit.fetch called without clientAddress on an open server: every anonymous client shares one rate limit',
      );
    }
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return toResponse(request, errorResponse(new ChatError('invalid_request', 'the request URL is malformed')));
    }
    const path = core.ownedPath(url.pathname);
    if (path === undefined) {
      return toResponse(request, errorResponse(new ChatError('not_found', 'no chatwire route at this path')));
    }
    const connection = new AbortController();
    const onAbort = () => connection.abort();
    if (request.signal.aborted) onAbort();
    else request.signal.addEventListener('abort', onAbort, { once: true });
    const kitRequest = toKitRequest(request, url, path, connection, context, options);
    let answer: KitResponse;
    try {
      answer = await core.dispatch(kitRequest);
    } catch (error) {
      answer = errorResponse(ChatError.from(error));
    }
    answer.headers['Server-Timing'] = serverTiming(kitRequest.timing);
    const { stream } = answer;
    if (!stream || request.method === 'HEAD') {
      request.signal.removeEventListener('abort', onAbort);
      return toResponse(request, answer);
    }
    const { readable, sink } = createSseStream({
      heartbeatMs: context.sseHeartbeatMs,
      highWaterBytes: context.highWaterBytes,
      onCancel: onAbort,
    });
    const delivered = stream(sink).finally(() => {
      sink.end();
      request.signal.removeEventListener('abort', onAbort);
    });
    context.drain.track(delivered);
    return new Response(readable, { status: 200, headers: { ...answer.headers, ...SSE_HEADERS } });
  };
}

function toKitRequest(
  request: Request,
  url: URL,
  path: string,
  connection: AbortController,
  context: KitContext,
  options: FetchHandlerOptions,
): KitRequest {
  let headers: Record<string, string> | undefined;
  const forwardedFor = request.headers.get('x-forwarded-for');
  return {
    method: request.method.toUpperCase(),
    path,
    query: url.searchParams,
    // Copied only when an `authenticate` hook asks for them.
    get headers() {
      return (headers ??= Object.fromEntries(request.headers));
    },
    header: (name) => request.headers.get(name) ?? '',
    clientAddress: context.clientAddress({
      headers: forwardedFor === null ? {} : { 'x-forwarded-for': forwardedFor },
      socket: { remoteAddress: options.clientAddress ?? 'unknown' },
    }),
    signal: connection.signal,
    abort: () => connection.abort(),
    text: (limitBytes) => readText(request, limitBytes),
    timing: startStopwatch(),
  };
}

function toResponse(request: Request, answer: KitResponse): Response {
  const headers = new Headers(answer.headers);
  if (answer.body === undefined || request.method === 'HEAD')
    return new Response(null, { status: answer.status, headers });
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json; charset=utf-8');
  return new Response(text, { status: answer.status, headers });
}

/** Reads the body as UTF-8, stopping (and failing) as soon as it exceeds `limit` bytes. */
async function readText(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) {
    throw new ChatError('payload_too_large', `the body exceeds ${limit} bytes`);
  }
  if (!request.body) return '';
  if (declared !== null && /^\d+$/.test(declared)) {
    // A declared length within the limit: one read, the runtime's fast path (no stream of chunks to gather).
    let bytes: ArrayBuffer;
    try {
      bytes = await request.arrayBuffer();
    } catch (error) {
      throw new ChatError('invalid_request', 'the body could not be read', { cause: error });
    }
    if (bytes.byteLength > limit) throw new ChatError('payload_too_large', `the body exceeds ${limit} bytes`);
    return decodeUtf8(new Uint8Array(bytes));
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      size += read.value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw new ChatError('payload_too_large', `the body exceeds ${limit} bytes`);
      }
      chunks.push(read.value);
    }
  } catch (error) {
    if (error instanceof ChatError) throw error;
    throw new ChatError('invalid_request', 'the body could not be read', { cause: error });
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decodeUtf8(bytes);
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new ChatError('invalid_request', 'the body must be UTF-8 JSON', { cause: error });
  }
}
