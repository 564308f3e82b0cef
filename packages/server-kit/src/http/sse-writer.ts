import type { ServerResponse } from 'node:http';
import { formatSseComment, formatSseEvent } from '@chatwire/protocol';
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
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  let closed = false;
  res.writeHead(200, {
    ...options.headers,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  // Nagle would hold small token writes back; the first bytes must leave at once.
  res.socket?.setNoDelay(true);
  res.flushHeaders();
  const heartbeat = setInterval(() => {
    // A backed-up stream needs no heartbeat, and must not grow its buffer with one.
    if (!closed && !res.writableNeedDrain) res.write(formatSseComment('heartbeat'));
  }, heartbeatMs);
  heartbeat.unref();
  const onClose = () => {
    closed = true;
    clearInterval(heartbeat);
  };
  res.once('close', onClose);

  return {
    send(events) {
      if (closed) return false;
      const ready = res.write(events.map(formatSseEvent).join(''));
      return options.highWaterBytes === undefined ? ready : res.writableLength <= options.highWaterBytes;
    },
    drained() {
      if (closed || !res.writableNeedDrain) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      });
    },
    get buffered() {
      return res.writableLength;
    },
    get closed() {
      return closed;
    },
    destroy() {
      onClose();
      res.destroy();
    },
    end() {
      if (closed) return;
      onClose();
      res.end();
    },
  };
}
