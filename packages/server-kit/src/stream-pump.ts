import type { RunEvent } from '@chatwire/protocol';

/** Where a streaming mode writes events (an SSE response, a WebSocket). */
export interface EventSink {
  /** Writes events; false when the connection is backed up (more than the high-water mark unsent). */
  send(events: RunEvent[]): boolean;
  /** Resolves when the connection has room again, or has closed. */
  drained(): Promise<void>;
  /** Bytes written but not yet sent. */
  readonly buffered: number;
  readonly closed: boolean;
  /** Drops the connection (the client resumes from its last seq). */
  destroy(): void;
}

/** An {@link EventSink} that is a whole response (SSE): ended once the stream is done. */
export interface EndableSink extends EventSink {
  /** Ends the response (nothing more will be sent). */
  end(): void;
}

/** Options of {@link pumpEvents}. */
export interface PumpOptions {
  /** Above this many unsent bytes the connection is dropped (default 1 MiB). */
  maxBufferedBytes: number;
  /** A reader that takes no bytes for this long is dropped (default 30 s). */
  slowReaderTimeoutMs: number;
}

/**
 * Copies a run's event batches to a sink with bounded memory: while the connection is backed up nothing more is read
 * from the store (the run goes on into the store), and what piled up meanwhile is sent with consecutive tokens merged
 * into one event. A reader stalled past the timeout, or over the hard byte cap, is dropped and resumes later.
 */
export async function pumpEvents(
  batches: AsyncIterable<RunEvent[]>,
  sink: EventSink,
  options: PumpOptions,
): Promise<void> {
  let backedUp = false;
  for await (const batch of batches) {
    if (sink.closed) return;
    const ready = sink.send(backedUp ? coalesceTokens(batch) : batch);
    if (sink.buffered > options.maxBufferedBytes) return sink.destroy();
    backedUp = !ready;
    if (backedUp && !(await drainedWithin(sink, options.slowReaderTimeoutMs))) return sink.destroy();
  }
}

async function drainedWithin(sink: EventSink, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const result = await Promise.race([sink.drained().then(() => true as const), timedOut]);
  clearTimeout(timer);
  return result;
}

/**
 * Merges runs of consecutive `token` events into one whose `seq` is the last merged one, so a slow reader gets the
 * same text in fewer bytes. Seqs stay strictly increasing and resuming after any of them stays exact.
 */
export function coalesceTokens(events: RunEvent[]): RunEvent[] {
  const merged: RunEvent[] = [];
  for (const event of events) {
    const previous = merged.at(-1);
    if (event.type === 'token' && previous?.type === 'token') {
      merged[merged.length - 1] = { ...previous, seq: event.seq, text: previous.text + event.text };
    } else {
      merged.push(event);
    }
  }
  return merged;
}
