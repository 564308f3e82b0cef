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
export interface SseWriter extends EndableSink {
  /**
   * Tells the writer its response closed (the owner's `close` listener calls it): the writer keeps no listener of its
   * own on the response, one fewer per held stream (a `once` wrapper, its state and a closure: about 200 bytes).
   */
  onClose(): void;
}

/**
 * A small SSE writer over the raw response. Written here instead of using `koa-sse-stream` 0.2.0, which drops
 * tokens that start with `:`, sends objects as `[object Object]`, loses `id: 0`, has no backpressure signal and
 * logs every heartbeat (see docs/ARCHITECTURE.md). Its owner must call {@link SseWriter.onClose} when the response
 * closes.
 */
export function createSseWriter(res: ServerResponse, options: SseWriterOptions = {}): SseWriter {
  return new NodeSseWriter(res, options);
}

function flushHeadersIfIdle(writer: NodeSseWriter): void {
  writer.flushHeadersIfIdle();
}

/**
 * The open writers of one heartbeat interval, beaten by one timer: a timer per stream was a `Timeout` and a closure
 * (about 200 bytes a held stream). A writer's first heartbeat comes within one interval of its opening, and the gap
 * between two never exceeds the interval, as with a timer of its own.
 */
class Heartbeat {
  private static readonly byInterval = new Map<number, Heartbeat>();
  private readonly writers = new Set<NodeSseWriter>();
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly intervalMs: number) {
    this.timer = setInterval(() => {
      for (const writer of this.writers) writer.beat();
    }, intervalMs);
    this.timer.unref();
  }

  static join(writer: NodeSseWriter, intervalMs: number): Heartbeat {
    let heartbeat = Heartbeat.byInterval.get(intervalMs);
    if (!heartbeat) {
      heartbeat = new Heartbeat(intervalMs);
      Heartbeat.byInterval.set(intervalMs, heartbeat);
    }
    heartbeat.writers.add(writer);
    return heartbeat;
  }

  leave(writer: NodeSseWriter): void {
    this.writers.delete(writer);
    if (this.writers.size > 0) return;
    clearInterval(this.timer);
    Heartbeat.byInterval.delete(this.intervalMs);
  }
}

/**
 * A class, not an object literal: a literal with getters is a dictionary-mode object of about 800 bytes, and there is
 * one per open stream.
 */
class NodeSseWriter implements SseWriter {
  private isClosed = false;
  /** Whether anything was written (the headers went with it); `res.headersSent` is true from `writeHead` on. */
  private wrote = false;
  private readonly heartbeat: Heartbeat;
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
    flattenHeaderBlock(res);
    // Nagle would hold small token writes back; the first bytes must leave at once.
    res.socket?.setNoDelay(true);
    // The headers leave with the first events, in one write, when they are ready in this turn (a new run's `start`,
    // a resume's backlog); otherwise on their own right after it, so the client sees the stream open while it waits.
    // A write of their own for every stream was 2.7% of the kit's SSE CPU at c=10 and c=100 on the zero-delay model.
    setImmediate(flushHeadersIfIdle, this);
    this.heartbeat = Heartbeat.join(this, options.heartbeatMs ?? 15_000);
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

  /** A heartbeat comment, unless the stream is backed up: it needs none, and must not grow its buffer with one. */
  beat(): void {
    if (!this.isClosed && !this.res.writableNeedDrain) this.res.write(formatSseComment('heartbeat'));
  }

  onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.heartbeat.leave(this);
  }
}

/**
 * Node builds a response's header block with one `+=` per header and keeps it (`_header`) for the response's life: a
 * rope of about 25 strings (about 1 KB a held stream, where the flat text is a third of that). Reading a character
 * flattens it in place, and the pieces become garbage.
 */
function flattenHeaderBlock(res: ServerResponse): void {
  const header = (res as { _header?: unknown })._header;
  if (typeof header === 'string') header.charCodeAt(0);
}
