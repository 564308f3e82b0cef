import type { DoneEvent, FinishReason, RunEvent, StartEvent, TokenEvent, Usage } from '@chatwire/protocol';
import { cancelledError, ChatError, isChatError } from './chat-error.js';
import { createStatsTracker, type ChatStats } from './chat-stats.js';
import { unrefTimer } from './retry.js';
import type { ChatMode, Transport, TransportContext } from './transport.js';

/** The events a chat stream yields: the protocol's `start`, `token` and `done`. A run's `error` event is thrown as a `ChatError`. */
export type ChatEvent = StartEvent | TokenEvent | DoneEvent;

/** How a run ended, from {@link ChatStream.result}. */
export interface ChatResult {
  runId: string;
  /** The model that answered; undefined for a resume that started after the `start` event. */
  model: string | undefined;
  /** The answer (for a resume: the part after `after`). */
  text: string;
  finishReason: FinishReason;
  usage: Usage;
}

/**
 * One chat, already under way. Iterate it for events as they arrive (it can be iterated more than once, each time from
 * the first event), or await `text()` / `result()`. Failures, including the run's own `error` event, are thrown as
 * `ChatError`s. Leaving a loop early does not stop the run; `cancel()` does.
 */
export interface ChatStream extends AsyncIterable<ChatEvent> {
  /** The mode asked for (`auto` included); `stats.mode` is the transport actually delivering. */
  readonly mode: ChatMode;
  /** The run id once known (sync mode: when the answer arrives). */
  readonly runId: string | undefined;
  /** Live measurements of this chat. */
  readonly stats: ChatStats;
  /** The whole answer; rejects with a `ChatError` when the run fails or is cancelled. */
  text(): Promise<string>;
  /** Text, usage, finish reason and run id; rejects like {@link ChatStream.text}. */
  result(): Promise<ChatResult>;
  /**
   * Stops the run on the server too, and resolves once the stream has ended (with a `cancelled` error, or normally if
   * the run finished first). Never rejects.
   */
  cancel(): Promise<void>;
}

/** Options of {@link createChatStream}. */
export interface ChatStreamOptions {
  transport: Transport;
  /** Starts (or resumes) the run through the transport. */
  open(context: TransportContext): AsyncIterable<RunEvent>;
  /** Known run id (resume). */
  runId?: string;
  /** Events with seq <= `after` are not expected (resume); -1 for a new run. */
  after: number;
  signal?: AbortSignal;
  idempotencyKey?: string;
  now: () => number;
  /** How long a cancel waits for the server's `cancelled` event before ending the stream anyway. */
  cancelTimeoutMs: number;
}

/** Starts pumping a run's events from its transport into a replayable, cancellable {@link ChatStream}. */
export function createChatStream(options: ChatStreamOptions): ChatStream {
  const { transport } = options;
  const hard = new AbortController();
  const tracker = createStatsTracker(transport.mode === 'auto' ? 'ws' : transport.mode, options.now);
  const context: TransportContext = {
    signal: hard.signal,
    stats: tracker.recorder,
    ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
  };
  const log: ChatEvent[] = [];
  let waiters: Array<() => void> = [];
  let outcome: { error?: ChatError } | undefined;
  let runId = options.runId;
  let model: string | undefined;
  let lastSeq = options.after;
  let cancelRequested = false;
  let cancelSent = false;
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));

  const notify = () => {
    const current = waiters;
    waiters = [];
    for (const wake of current) wake();
  };

  const onAbort = () => void stream.cancel();

  function finish(error?: ChatError): void {
    if (outcome) return;
    outcome = error ? { error } : {};
    options.signal?.removeEventListener('abort', onAbort);
    tracker.end();
    hard.abort();
    notify();
    markEnded();
  }

  function sendCancel(id: string): void {
    if (cancelSent || !transport.cancel) return;
    cancelSent = true;
    // Its own signal: when cancel() stops waiting at its deadline, a slow server must still get the request, or the run
    // goes on (a polling run to its end). If the server cannot be asked, stop locally; the run then ends on the server
    // after its disconnect grace period.
    transport.cancel(id, { ...context, signal: new AbortController().signal }).catch(() => hard.abort());
  }

  async function pump(): Promise<void> {
    try {
      for await (const event of options.open(context)) {
        if (event.seq <= lastSeq) continue;
        // A reader that fell behind gets the tokens that piled up merged into one carrying the last merged seq
        // (PROTOCOL.md), so a token may skip seqs once the start is behind; no other event may.
        const merged = event.type === 'token' && lastSeq >= 0 && event.seq > lastSeq + 1;
        if ((event.seq !== lastSeq + 1 && !merged) || (runId !== undefined && event.id !== runId)) {
          throw new ChatError(
            'bad_response',
            `events of run ${event.id} arrived out of order (seq ${event.seq} after ${lastSeq})`,
          );
        }
        lastSeq = event.seq;
        runId = event.id;
        if (event.type === 'error') throw ChatError.fromPayload(event, { runId: event.id });
        if (event.type === 'start') model = event.model;
        if (event.type === 'token') tracker.token();
        log.push(event);
        notify();
        if (event.type === 'start' && cancelRequested) sendCancel(event.id);
        if (event.type === 'done') return finish();
      }
      throw new ChatError('network', 'the connection ended before the run did');
    } catch (error) {
      if (cancelRequested && hard.signal.aborted) finish(cancelledError(runId));
      else if (isChatError(error)) finish(error);
      else
        finish(
          new ChatError('network', 'the connection to the server failed', {
            cause: error,
            ...(runId ? { runId } : {}),
          }),
        );
    }
  }

  async function settled(): Promise<ChatEvent[]> {
    await ended;
    if (outcome?.error) throw outcome.error;
    return log;
  }

  const stream: ChatStream = {
    mode: transport.mode,
    get runId() {
      return runId;
    },
    stats: tracker.stats,
    async *[Symbol.asyncIterator]() {
      let index = 0;
      for (;;) {
        const event = log[index];
        if (event) {
          index++;
          yield event;
          continue;
        }
        if (outcome) {
          if (outcome.error) throw outcome.error;
          return;
        }
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    async text() {
      return textOf(await settled());
    },
    async result() {
      const events = await settled();
      const done = events.at(-1) as DoneEvent;
      return { runId: done.id, model, text: textOf(events), finishReason: done.finish_reason, usage: done.usage };
    },
    cancel() {
      if (outcome || cancelRequested) return ended;
      cancelRequested = true;
      if (!transport.cancel) hard.abort();
      else if (runId !== undefined) sendCancel(runId);
      const deadline = setTimeout(() => hard.abort(), options.cancelTimeoutMs);
      unrefTimer(deadline);
      void ended.then(() => clearTimeout(deadline));
      return ended;
    },
  };

  if (options.signal?.aborted) {
    cancelRequested = true;
    hard.abort();
  } else {
    options.signal?.addEventListener('abort', onAbort, { once: true });
  }
  void pump();
  return stream;
}

function textOf(events: readonly ChatEvent[]): string {
  let text = '';
  for (const event of events) if (event.type === 'token') text += event.text;
  return text;
}
