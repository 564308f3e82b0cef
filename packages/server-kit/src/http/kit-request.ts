import type { IncomingHttpHeaders } from 'node:http';
import type { ErrorBody } from '@chatwire/protocol';
import type { ChatError } from '../chat-error.js';
import type { Principal } from '../principal.js';
import type { EventSink } from '../stream-pump.js';

/**
 * One HTTP request as the kit's routes see it, whatever framework or runtime carried it: the adapters
 * (`adapters/node.ts`, `adapters/koa.ts`, `adapters/fetch.ts`, `adapters/fastify.ts`) build it, and no framework type
 * reaches a route, a mode or the engine.
 */
export interface KitRequest {
  /** Upper-case method. */
  readonly method: string;
  /** The path below the kit's `basePath`, e.g. `/api/sse/chat`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Every header, by lower-case name (what an `authenticate` hook sees). */
  readonly headers: Readonly<IncomingHttpHeaders>;
  /** A header's value (lower-case name), or `''` when absent. */
  header(name: string): string;
  /** The client's address (forwarded headers believed only from trusted proxies). */
  readonly clientAddress: string;
  /** Aborts when the client goes away before the response is finished, or when {@link KitRequest.abort} is called. */
  readonly signal: AbortSignal;
  /** Aborts {@link KitRequest.signal} now, the connection staying open: how a closing kit ends a held response. */
  abort(): void;
  /** The body as UTF-8 text, at most `limitBytes`; a `ChatError` (`payload_too_large`, `invalid_request`) otherwise. */
  text(limitBytes: number): Promise<string>;
  /** Set by the kit once authenticated. */
  principal?: Principal;
  /** The kit's own time on this request (`Server-Timing`), excluding waits on the model or a long poll. */
  readonly timing: Stopwatch;
}

/** Time spent, with pauses while the request waits on something that is not the kit. */
export interface Stopwatch {
  pause(): void;
  resume(): void;
  /** Milliseconds spent so far. */
  spent(): number;
}

/** Writes a run's events as `text/event-stream` until it returns; the adapter then ends the response. */
export type EventStream = (sink: EventSink) => Promise<void>;

/** What a route answers: a JSON (or text) body, or an event stream. */
export interface KitResponse {
  status: number;
  headers: Record<string, string>;
  /** Serialized as JSON unless a string (sent as is, with the `Content-Type` in `headers`). */
  body?: unknown;
  /** An SSE response: headers are sent at once, then the stream writes events with backpressure. */
  stream?: EventStream;
}

/** A JSON response. */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): KitResponse {
  return { status, headers, body };
}

/** The protocol's error body for `error`, its status, `Retry-After` when known, and `WWW-Authenticate` on 401. */
export function errorResponse(error: ChatError): KitResponse {
  const headers: Record<string, string> = {};
  if (error.retryAfterMs !== undefined)
    headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  if (error.code === 'unauthorized') headers['WWW-Authenticate'] = 'Bearer';
  const body: ErrorBody = { error: error.toPayload() };
  return { status: error.status, headers, body };
}

/** Starts a {@link Stopwatch} now. */
export function startStopwatch(): Stopwatch {
  return new PausableStopwatch();
}

// A class rather than three closures: every request has one, held as long as its response streams.
class PausableStopwatch implements Stopwatch {
  private spentMs = 0;
  private since: number | undefined = performance.now();

  pause(): void {
    if (this.since === undefined) return;
    this.spentMs += performance.now() - this.since;
    this.since = undefined;
  }

  resume(): void {
    if (this.since === undefined) this.since = performance.now();
  }

  spent(): number {
    return this.spentMs + (this.since === undefined ? 0 : performance.now() - this.since);
  }
}

/** The `Server-Timing` value for a request's {@link Stopwatch}. */
export function serverTiming(timing: Stopwatch): string {
  return `chatwire;desc="kit overhead";dur=${timing.spent().toFixed(2)}`;
}
