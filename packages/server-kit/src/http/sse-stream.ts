import { formatSseComment, formatSseEvent } from '@chatwire/protocol';
import type { EndableSink } from '../stream-pump.js';

/** Options of {@link createSseStream}. */
export interface SseStreamOptions {
  /** Interval of comment heartbeats (default 15 s). */
  heartbeatMs?: number;
  /** Bytes queued and not yet pulled by the consumer above which `send` reports the stream backed up. */
  highWaterBytes: number;
  /** Told when the consumer cancels the stream (the client went away). */
  onCancel?: () => void;
}

/**
 * An {@link EndableSink} over a `ReadableStream` for fetch-style runtimes (`kit.fetch`). Pull-based: the queue holds
 * at most about `highWaterBytes` before `send` says so, the pump then waits for the consumer's next pull, and nothing
 * piles up unbounded whatever the reader does. Uses only what Node, Bun and Deno all provide.
 */
export function createSseStream(options: SseStreamOptions): {
  readable: ReadableStream<Uint8Array>;
  sink: EndableSink;
} {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let waiting: Array<() => void> = [];
  const wake = () => {
    const resolvers = waiting;
    waiting = [];
    for (const resolve of resolvers) resolve();
  };
  const stop = () => {
    closed = true;
    clearInterval(heartbeat);
    wake();
  };
  const readable = new ReadableStream<Uint8Array>(
    {
      start(started) {
        controller = started;
      },
      pull() {
        wake();
      },
      cancel() {
        stop();
        options.onCancel?.();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: options.highWaterBytes }),
  );
  const heartbeat = setInterval(() => {
    if (!closed && (controller.desiredSize ?? 0) > 0) controller.enqueue(encoder.encode(formatSseComment('heartbeat')));
  }, options.heartbeatMs ?? 15_000);
  // Deno and browsers have no unref; a heartbeat must not keep a Node process alive.
  (heartbeat as { unref?: () => void }).unref?.();
  const queued = () => Math.max(0, options.highWaterBytes - (controller.desiredSize ?? 0));

  const sink: EndableSink = {
    send(events) {
      if (closed) return false;
      controller.enqueue(encoder.encode(events.map(formatSseEvent).join('')));
      return (controller.desiredSize ?? 0) > 0;
    },
    drained() {
      if (closed || (controller.desiredSize ?? 0) > 0) return Promise.resolve();
      return new Promise((resolve) => waiting.push(resolve));
    },
    get buffered() {
      return closed ? 0 : queued();
    },
    get closed() {
      return closed;
    },
    destroy() {
      if (closed) return;
      stop();
      controller.error(new Error('the stream was dropped; resume it from the last event id'));
    },
    end() {
      if (closed) return;
      stop();
      controller.close();
    },
  };
  return { readable, sink };
}
