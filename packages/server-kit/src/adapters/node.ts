import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import { ChatError } from '../chat-error.js';
import type { KitCore } from '../http/kit-core.js';
import { errorResponse, serverTiming, startStopwatch, type KitRequest, type KitResponse } from '../http/kit-request.js';
import { createSseWriter, type SseWriter } from '../http/sse-writer.js';
import type { KitContext } from '../kit-context.js';
import type { Principal } from '../principal.js';

/** A Node request handler: `node:http`, Express 5 and Connect. `next` is called for paths the kit does not own. */
export type NodeHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** The kit over Node's `IncomingMessage` and `ServerResponse`: what `kit.handler()`, Koa and Fastify share. */
export interface NodeAdapter {
  /** The kit's path for this request, or undefined when it is not the kit's. Synchronous. */
  owns(request: IncomingMessage): string | undefined;
  /** Serves a request the kit owns; resolves once the response is handed to the socket. */
  serve(request: IncomingMessage, response: ServerResponse, path: string): Promise<void>;
  handler: NodeHandler;
}

/** Creates the {@link NodeAdapter}. */
export function createNodeAdapter(core: KitCore, context: KitContext): NodeAdapter {
  function owns(request: IncomingMessage): string | undefined {
    const pathname = pathnameOf(targetOf(request));
    // A URL that cannot be parsed is answered by the kit as bad input only when nobody else may own it.
    return pathname === undefined ? undefined : core.ownedPath(pathname);
  }

  async function serve(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const kitRequest = new NodeKitRequest(request, response, path, context);
    let writer: SseWriter | undefined;
    // One 'close' listener for all three (each one more is a `once` wrapper for as long as the response streams).
    const finished = new Promise<void>((resolve) =>
      response.once('close', () => {
        writer?.onClose();
        if (!response.writableFinished) kitRequest.abort();
        resolve();
      }),
    );
    // Until its response is out, a request counts as a delivery a closing kit waits for.
    context.drain.track(finished);
    // A closing server answers what it still serves on connections it then closes: a balancer's pooled connection is
    // not reused for a new chat this instance would refuse, and goes to another instance instead.
    if (context.drain.closing) response.setHeader('Connection', 'close');
    let answer: KitResponse;
    try {
      answer = await core.dispatch(kitRequest);
    } catch (error) {
      answer = errorResponse(ChatError.from(error));
    }
    if (response.headersSent || response.destroyed) return;
    if (answer.stream && request.method !== 'HEAD') {
      response.setHeader('Server-Timing', serverTiming(kitRequest.timing));
      writer = createSseWriter(response, {
        heartbeatMs: context.sseHeartbeatMs,
        highWaterBytes: context.highWaterBytes,
        headers: answer.headers,
      });
      try {
        await answer.stream(writer);
      } finally {
        writer.end();
      }
    } else {
      writeResponse(request, response, answer, kitRequest);
    }
    await finished;
  }

  return {
    owns,
    serve,
    handler(request, response, next) {
      const path = owns(request);
      if (path === undefined) {
        if (next) return next();
        const malformed = pathnameOf(targetOf(request)) === undefined;
        const error = malformed
          ? new ChatError('invalid_request', 'the request URL is malformed')
          : new ChatError('not_found', 'no chatwire route at this path');
        return writeResponse(request, response, errorResponse(error));
      }
      serve(request, response, path).catch((error: unknown) => {
        context.logger.error({ err: String(error) }, 'request failed');
        if (!response.headersSent) writeResponse(request, response, errorResponse(ChatError.from(error)));
        else response.destroy();
      });
    },
  };
}

/**
 * A class, not an object literal: a literal with a getter is a dictionary-mode object of about 800 bytes, and an SSE
 * response holds its request for as long as it streams.
 */
class NodeKitRequest implements KitRequest {
  readonly method: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly timing = startStopwatch();
  declare principal?: Principal;
  private address: string | undefined;
  // Its signal is only made when something reads it (most requests never do).
  private readonly controller = new AbortController();

  constructor(
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    readonly path: string,
    private readonly context: KitContext,
  ) {
    this.method = request.method ?? 'GET';
    this.query = new URLSearchParams(searchOf(targetOf(request)));
    this.headers = request.headers;
  }

  header(name: string): string {
    const value = this.request.headers[name];
    return (Array.isArray(value) ? value[0] : value) ?? '';
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(): void {
    this.controller.abort();
  }

  get clientAddress(): string {
    return (this.address ??= this.context.clientAddress(this.request));
  }

  text(limitBytes: number): Promise<string> {
    return readBody(this.request, this.response, limitBytes);
  }
}

/** Writes a JSON (or text) response; HEAD gets the headers only. */
function writeResponse(
  request: IncomingMessage,
  response: ServerResponse,
  answer: KitResponse,
  kitRequest?: KitRequest,
): void {
  if (response.headersSent) return;
  if (kitRequest) response.setHeader('Server-Timing', serverTiming(kitRequest.timing));
  for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
  response.statusCode = answer.status;
  if (answer.body === undefined) {
    response.end();
    return;
  }
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  if (!response.hasHeader('Content-Type')) response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(text));
  response.end(request.method === 'HEAD' ? undefined : text);
}

async function readBody(request: IncomingMessage, response: ServerResponse, limit: number): Promise<string> {
  // A framework's body parser (express.json() mounted before the kit) may have read the body already.
  const parsed = (request as { body?: unknown }).body;
  if (request.readableEnded && parsed !== undefined) {
    const text = typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
    if (Buffer.byteLength(text) > limit) throw new ChatError('payload_too_large', `the body exceeds ${limit} bytes`);
    return text;
  }
  const declared = request.headers['content-length'];
  try {
    return await getRawBody(request, {
      limit,
      encoding: 'utf8',
      ...(declared && /^\d+$/.test(declared) ? { length: Number(declared) } : {}),
    });
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') {
      // The rest of the body is not read; closing the connection stops the client from sending it.
      response.setHeader('Connection', 'close');
      throw new ChatError('payload_too_large', `the body exceeds ${limit} bytes`, { cause: error });
    }
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      throw new ChatError('invalid_request', 'the body must be UTF-8 JSON', { cause: error });
    }
    throw new ChatError('invalid_request', 'the body could not be read', { cause: error });
  }
}

/** The path of a request target (origin-form, or absolute-form as proxies send), or undefined when malformed. */
export function pathnameOf(url: string | undefined): string | undefined {
  const target = url ?? '/';
  if (target.startsWith('/')) {
    // As sent: not normalised (`/a/../b` is not `/b`), so what is matched is what a proxy in front matched too.
    const end = target.search(/[?#]/);
    return end < 0 ? target : target.slice(0, end);
  }
  try {
    return new URL(target).pathname;
  } catch {
    return undefined;
  }
}

function searchOf(url: string | undefined): string {
  const at = (url ?? '').indexOf('?');
  return at < 0 ? '' : (url ?? '').slice(at + 1);
}

/**
 * The request target as the client sent it. Express and Connect strip a mount path from `url` (`app.use('/chat',
 * handler)`) and keep the original in `originalUrl`; the kit matches its routes, `basePath` included, on that.
 */
function targetOf(request: IncomingMessage): string | undefined {
  return (request as { originalUrl?: string }).originalUrl ?? request.url;
}
