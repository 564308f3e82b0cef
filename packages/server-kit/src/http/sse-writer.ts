import type { ServerResponse } from 'node:http';
import { formatSseComment, formatSseEvent, type RunEvent } from '@chatwire/protocol';
import type { EndableSink } from '../stream-pump.js';

/** Options of {@link createSseWriter}. */
export interface SseWriterOptions {
  /** Interval of comment heartbeats that keep proxies from timing the stream out (default 15 s). */
  heartbeatMs?: number;
  /** Unsent bytes above which `send` reports the connection backed up (default: Node's stream high-water mark). */
  highWaterBytes?: number;
  /** More response headers (CORS, say). */
  headers?: Record<string, string>;
}

/** An {@link EventSink} over one `text/event-stream` response. */
export type SseWriter = EndableSink;

/**
 * A small SSE writer over the raw response. Written here instead of using `koa-sse-stream` 0.2.0, which drops
 * tokens that start with `:`, sends objects as `[object Object]`, loses `id: 0`, has no backpressure signal and
 * runs one global heartbeat timer (see docs/ARCHITECTURE.md).
 */
export function createSseWriter(res: ServerResponse, options: SseWriterOptions = {}): SseWriter {
  return new NodeSseWriter(res, options);
}

function flushHeadersIfIdle(writer: NodeSseWriter): void {
  writer.flushHeadersIfIdle();
}

/**
 * A class, not an object literal: a literal with getters is a dictionary-mode object of about 800 bytes, and there is
 * one per open stream.
 */
class NodeSseWriter implements SseWriter {
  private isClosed = false;
  /** Whether anything was written (the headers went with it); `res.headersSent` is true from `writeHead` on. */
  private wrote = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly highWaterBytes: number | undefined;

  constructor(
    private readonly res: ServerResponse,
    options: SseWriterOptions,
  ) {
    this.highWaterBytes = options.highWaterBytes;
    res.writeHead(200, {
      ...options.headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    // Nagle would hold small token writes back; the first bytes must leave at once.
    res.socket?.setNoDelay(true);
    // The headers leave with the first events, in one write, when they are ready in this turn (a new run's `start`,
    // a resume's backlog); otherwise on their own right after it, so the client sees the stream open while it waits.
    // A write of their own for every stream was 2.7% of the kit's SSE CPU at c=10 and c=100 on the zero-delay model.
    setImmediate(flushHeadersIfIdle, this);
    this.heartbeat = setInterval(() => {
      // A backed-up stream needs no heartbeat, and must not grow its buffer with one.
      if (!this.isClosed && !res.writableNeedDrain) res.write(formatSseComment('heartbeat'));
    }, options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
    res.once('close', () => this.onClose());
  }

  send(events: RunEvent[]): boolean {
    if (this.isClosed) return false;
    let text = '';
    for (const event of events) text += formatSseEvent(event);
    this.wrote = true;
    const ready = this.res.write(text);
    return this.highWaterBytes === undefined ? ready : this.res.writableLength <= this.highWaterBytes;
  }

  drained(): Promise<void> {
    const { res } = this;
    if (this.isClosed || !res.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
    });
  }

  get buffered(): number {
    return this.res.writableLength;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  destroy(): void {
    this.onClose();
    this.res.destroy();
  }

  end(): void {
    if (this.isClosed) return;
    this.onClose();
    this.res.end();
  }

  /** Sends the headers on their own when nothing was written in the turn the stream opened. */
  flushHeadersIfIdle(): void {
    if (this.wrote || this.isClosed) return;
    this.wrote = true;
    this.res.flushHeaders();
  }

  private onClose(): void {
    this.isClosed = true;
    clearInterval(this.heartbeat);
  }
}
