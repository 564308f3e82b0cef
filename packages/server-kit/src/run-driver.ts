import {
  isTerminalEvent,
  type DoneEvent,
  type ErrorEvent,
  type NormalizedChatRequest,
  type RunEvent,
  type RunEventBody,
} from '@chatwire/protocol';
import { ChatError } from './chat-error.js';
import type { Provider } from './provider.js';
import { appendsNow, type AppendFunction, type RunInfo, type RunStore } from './store.js';

/** What a run did, told to a {@link RunObserver} when it ends. */
export interface RunSummary {
  info: RunInfo;
  terminal: DoneEvent | ErrorEvent;
  /** Tokens the model sent (a token event may join several). */
  tokens: number;
  /** Milliseconds from start to the first token (undefined without one). */
  firstTokenMs: number | undefined;
  durationMs: number;
}

/** Hooks for metrics and logs; each is optional and must not throw. */
export interface RunObserver {
  runStarted?(info: RunInfo): void;
  firstToken?(info: RunInfo, milliseconds: number): void;
  runEnded?(summary: RunSummary): void;
}

/** What {@link driveRun} works with. */
export interface RunDriverDeps {
  provider: Provider;
  store: RunStore;
  observer?: RunObserver | undefined;
}

/**
 * Drives one claimed-or-not run: claims it (or leaves it to the process that did), streams the model into the store in
 * seq order, and ends it with exactly one `done` or `error` event, whatever fails. Resolves when the run has ended; a
 * run that failed has `controller` aborted by then, so a provider may leave a request it gave up on to the signal.
 */
export async function driveRun(
  { provider, store, observer }: RunDriverDeps,
  info: RunInfo,
  request: NormalizedChatRequest & { model: string },
  controller: AbortController,
): Promise<void> {
  const { id } = info;
  const started = performance.now();
  let seq = 0;
  let tokens = 0;
  let firstTokenMs: number | undefined;
  let terminal: DoneEvent | ErrorEvent | undefined;
  let storeFailed = false;
  const firstToken = () => {
    if (firstTokenMs !== undefined) return;
    firstTokenMs = performance.now() - started;
    observer?.firstToken?.(info, firstTokenMs);
  };
  // What follows a stored event: the first token's time, the terminal event.
  const wrote = (event: RunEvent) => {
    if (event.type === 'token') firstToken();
    if (isTerminalEvent(event)) terminal = event;
  };
  const storeError = (error: unknown): never => {
    storeFailed = true;
    throw error;
  };
  // One event at a time, in seq order: every write goes through here or through writeTokens, and none overlaps another.
  const write = async (event: RunEvent) => {
    try {
      await store.append(event);
    } catch (error) {
      storeError(error);
    }
    wrote(event);
  };
  const emit = (body: RunEventBody) => write({ id, seq: ++seq, ...body } as RunEvent);
  // The model is read at its own pace, never waiting for the store: tokens that arrive while a write is in flight
  // are merged into the next token event, so a slower store (Redis) gets fewer, larger writes instead of slowing
  // the stream down. An in-process store answers at once, and every token stays its own event.
  let pending = '';
  let writer: Promise<void> | undefined;
  // Taken once per run (a store seen through the metrics proxy would run its trap on every token otherwise).
  const appendNow = (store.append as AppendFunction)[appendsNow];
  // A run nobody streams live, on a store whose writes are round trips: tokens gather this long (or up to
  // QUIET_RUN_MAX_TEXT) into one event. The end of the model's stream, a failure or a cancel cuts it short. A polling
  // run writes its first token at once (a poller shows it); a sync run's client reads nothing before the end, so its
  // first token gathers too (one round trip fewer per chat), and its time to first token is when the model sent it.
  const quietMs =
    info.mode === 'sync'
      ? (store.syncRunWindowMs ?? store.quietRunWindowMs ?? 0)
      : info.mode === 'polling'
        ? (store.quietRunWindowMs ?? 0)
        : 0;
  const gatherFirst = quietMs > 0 && info.mode === 'sync';
  let firstWritten = false;
  let finishing = false;
  let gathering: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  const gather = () =>
    new Promise<void>((resolve) => {
      gathering = { timer: setTimeout(resolve, quietMs), resolve };
    }).finally(() => {
      gathering = undefined;
    });
  // Writes what gathered now; `finish` also stops gathering for the rest of the run.
  const stopGathering = (finish: boolean) => {
    if (finish) finishing = true;
    if (!gathering) return;
    clearTimeout(gathering.timer);
    gathering.resolve();
  };
  const writeTokens = async () => {
    try {
      // A store that batches makes the first token wait for company anyway: waiting one macrotask here lets the rest
      // of the model's burst (read in this same turn) join it, one event instead of the first token alone and the rest.
      if (store.batchesAppends) await nextMacrotask();
      while (pending !== '') {
        if (quietMs > 0 && (firstWritten || gatherFirst) && !finishing && !controller.signal.aborted) await gather();
        const event: RunEvent = { id, seq: ++seq, type: 'token', text: pending };
        pending = '';
        // `write` inlined: one async call fewer per token (and an in-process store answers every append with the same
        // resolved promise, so a token costs this function's promise alone).
        let appended: Promise<void>;
        try {
          appended = store.append(event);
        } catch (error) {
          appended = Promise.reject(error as Error);
          // Nothing may follow a token the store refused: the loop below ends the run with an error instead.
          ending = undefined;
        }
        if (ending) {
          // The model has ended: its `done` goes right behind these last tokens, in the same batch.
          ended = emit(ending);
          // Awaited by the loop once the writer is done; a failure is seen there, not as an unhandled rejection.
          ended.catch(() => {});
          ending = undefined;
        }
        try {
          await appended;
        } catch (error) {
          storeError(error);
        }
        wrote(event);
        firstWritten = true;
      }
    } catch (error) {
      // The store failed under the run: stop paying for tokens that cannot be kept.
      controller.abort(ChatError.from(error, 'upstream_error'));
    } finally {
      writer = undefined;
    }
  };
  const settle = async () => {
    while (writer) await writer;
  };
  // On a store that batches appends, the model's `done` is queued right behind the last token event instead of after
  // its round trip: one batch for both (the store keeps a run's events in order, and refuses the rest of a run's batch
  // after an event it refused). `ending` hands it to the writer, which queues it (`ended`) after its last tokens.
  let ending: RunEventBody | undefined;
  let ended: Promise<void> | undefined;
  const stopListening = store.onCancel(id, () => controller.abort(new ChatError('cancelled', 'the run was cancelled')));
  // A cancelled or failed run writes what gathered before its error, without waiting out the window.
  if (quietMs > 0) controller.signal.addEventListener('abort', () => stopGathering(true), { once: true });
  const abortError = () =>
    controller.signal.reason instanceof ChatError
      ? controller.signal.reason
      : new ChatError('cancelled', 'the run was cancelled');
  // Listening first, then claiming: a cancel sent in between is not missed. A run another process writes, or one
  // that has ended (cancelled while queued, say), is left alone.
  const claimed = await store.claim(id).catch(async (error: unknown) => {
    // The store failed: end the run if it can still be written, so nobody waits on a run nobody drives.
    await emit({ type: 'error', ...ChatError.from(error, 'upstream_error').toPayload() }).catch(() => {});
    return false;
  });
  if (!claimed) return void stopListening();
  observer?.runStarted?.(info);
  try {
    let finished = false;
    for await (const chunk of provider.stream(request, controller.signal)) {
      if (controller.signal.aborted) break;
      if (chunk.type === 'token') {
        if (chunk.text === '') continue;
        tokens += 1;
        if (appendNow !== undefined && writer === undefined) {
          // An in-process store: the token is stored before the next one is read, with no promise for it.
          const event: RunEvent = { id, seq: ++seq, type: 'token', text: chunk.text };
          try {
            appendNow(event);
          } catch (error) {
            // Not stored: its seq goes to the error event that ends the run, if the store takes that.
            seq -= 1;
            storeFailed = true;
            controller.abort(ChatError.from(error, 'upstream_error'));
            break;
          }
          if (firstTokenMs === undefined) wrote(event);
          continue;
        }
        if (gatherFirst) firstToken();
        pending += chunk.text;
        writer ??= writeTokens();
        if (pending.length >= QUIET_RUN_MAX_TEXT) stopGathering(false);
      } else {
        const body: RunEventBody = { type: 'done', finish_reason: chunk.finish_reason, usage: chunk.usage };
        if (store.batchesAppends && writer && !controller.signal.aborted) {
          // Nothing left to queue (the writer waits for its last event's answer): queue `done` behind it now;
          // otherwise the writer queues it behind the tokens it still holds.
          if (pending === '') {
            ended = emit(body);
            ended.catch(() => {});
          } else ending = body;
        }
        stopGathering(true);
        await settle();
        if (ended) await ended;
        else {
          ending = undefined;
          if (controller.signal.aborted) break;
          await emit(body);
        }
        finished = true;
        break;
      }
    }
    if (!finished) {
      throw controller.signal.aborted
        ? abortError()
        : new ChatError('upstream_error', 'the model stream ended without finishing');
    }
  } catch (caught) {
    const error = controller.signal.aborted ? abortError() : ChatError.from(caught, 'upstream_error');
    // The store failed under the run: stop paying for tokens that cannot be kept.
    if (storeFailed && !controller.signal.aborted) controller.abort(error);
    // Tokens read before the failure are written first (the store permitting), then the error, in seq order.
    stopGathering(true);
    await settle();
    if (pending !== '' && !storeFailed) await emit({ type: 'token', text: pending }).catch(() => {});
    await emit({ type: 'error', ...error.toPayload() }).catch(() => {});
  } finally {
    stopListening();
    // What a failed provider left open (a request it stopped waiting for, say) ends with the run.
    if (terminal?.type === 'error' && !controller.signal.aborted) {
      controller.abort(new ChatError('cancelled', 'the run has ended'));
    }
    if (terminal)
      observer?.runEnded?.({ info, terminal, tokens, firstTokenMs, durationMs: performance.now() - started });
  }
}

/** Text (UTF-16 units) past which a quiet run's gathered tokens are written without waiting out the window. */
const QUIET_RUN_MAX_TEXT = 16 * 1024;

/** Resolves after the current macrotask and the microtasks it queued, like the rest of a provider's burst. */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
