import {
  isTerminalEvent,
  type AsyncChatAccepted,
  type ChatRequest,
  type RunEvent,
  type RunSnapshot,
} from '@chatwire/protocol';
import { isChatError, type ChatError } from '../chat-error.js';
import type { FallbackReason } from '../chat-stats.js';
import type { HttpClient } from '../http-client.js';
import type { ModeMemory } from '../mode-memory.js';
import { unrefTimer } from '../retry.js';
import type { SocketConnection } from '../socket-connection.js';
import { TransportHandover, type Transport, type TransportContext } from '../transport.js';

/** The transports auto mode chooses from, best first; sync is never chosen (it streams nothing). */
export type StreamingMode = 'ws' | 'sse' | 'polling';
const ORDER: readonly StreamingMode[] = ['ws', 'sse', 'polling'];

/** Options of {@link createAutoTransport}. */
export interface AutoTransportOptions {
  transports: Record<StreamingMode, Transport>;
  connection: SocketConnection;
  http: HttpClient;
  memory: ModeMemory;
  /** A WebSocket not open within this is given up for SSE (`ws_timeout`); also how long a dropped one may take to reopen. */
  webSocketConnectTimeoutMs: number;
  /** An SSE attempt with no event within this is checked for buffering (`sse_buffered`). */
  bufferingTimeoutMs: number;
  /** Makes an idempotency key when the caller gave none: every auto-mode run has one, to be found from any mode. */
  newKey?: () => string;
}

/**
 * `auto`: WebSocket first; SSE when the socket cannot be opened; polling when SSE cannot be used. A transport that
 * fails mid-answer hands the run to the next one, which resumes it from the last seq received, so no token is lost or
 * repeated and no second run starts (the run is created with an idempotency key that every mode honours). SSE that
 * connects but buffers is noticed: no event within `bufferingTimeoutMs` while the run's `last_seq` moves on. What worked
 * is remembered per server ({@link ModeMemory}).
 */
export function createAutoTransport(options: AutoTransportOptions): Transport {
  const { transports, connection, http, memory } = options;
  const newKey = options.newKey ?? (() => `auto-${globalThis.crypto.randomUUID()}`);

  async function* deliver(
    request: ChatRequest | undefined,
    runId: string | undefined,
    after: number,
    context: TransportContext,
  ): AsyncGenerator<RunEvent> {
    const key = context.idempotencyKey ?? newKey();
    const state = { runId, lastSeq: after };
    const candidates = ORDER.slice(ORDER.indexOf(memory.first()));
    context.stats.using(candidates[0] as StreamingMode);
    for (let index = 0; index < candidates.length; index++) {
      const mode = candidates[index] as StreamingMode;
      const next = candidates[index + 1];
      const attempt = new AbortController();
      const stop = () => attempt.abort(context.signal.reason);
      context.signal.addEventListener('abort', stop, { once: true });
      const attemptContext: TransportContext = { signal: attempt.signal, stats: context.stats, idempotencyKey: key };
      let reason: FallbackReason | undefined;
      let failure: unknown;
      try {
        if (mode === 'ws') {
          reason = await openSocket(context);
          if (reason) throw new TransportHandover(reason);
        }
        const transport = transports[mode];
        const source =
          state.runId === undefined || !transport.resume
            ? transport.start(request as ChatRequest, attemptContext)
            : transport.resume(state.runId, state.lastSeq, attemptContext);
        const watch = mode === 'ws' ? watchSocket(attempt) : undefined;
        try {
          const lookup = () => movedOn(state, request, key, attempt.signal);
          for await (const event of watched(source, mode === 'sse' ? lookup : undefined)) {
            if (event.seq <= state.lastSeq) continue;
            state.runId = event.id;
            state.lastSeq = event.seq;
            if (isTerminalEvent(event)) {
              // Remembered only once it delivered (a chat that failed everywhere, server down or no key yet, must not
              // send the next chats to a worse transport for the reprobe delay), and before the yield: the reader
              // stops iterating at the terminal event, so nothing after it runs.
              if (index > 0) memory.fellBack(mode);
              else memory.worked(mode);
              yield event;
              return;
            }
            yield event;
          }
        } finally {
          watch?.();
        }
        failure = new TransportHandover('the stream ended before the run did');
      } catch (error) {
        failure = error;
      } finally {
        context.signal.removeEventListener('abort', stop);
      }
      if (context.signal.aborted) throw failure;
      // A ws attempt runs on a socket that was open: failing while it is down is the socket's failure, whatever the
      // code (a reconnection refused with 403 says `forbidden`), and the run goes on over HTTP.
      const socketDown = mode === 'ws' && connection.state !== 'open' && connection.state !== 'closed';
      reason ??= handoverReason(attempt.signal.reason) ?? transportFailure(mode, failure, socketDown);
      if (!reason || !next) throw failure;
      // Leave this transport without cancelling the run: the next one reads it from the last seq received.
      attempt.abort(new TransportHandover(reason));
      context.stats.switched({ from: mode, to: next, reason });
    }
  }

  /** Opens the shared socket within the timeout; a fallback reason when it cannot. */
  async function openSocket(context: TransportContext): Promise<FallbackReason | undefined> {
    if (connection.state === 'open') return undefined;
    context.stats.request();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<FallbackReason>((resolve) => {
      timer = setTimeout(() => resolve('ws_timeout'), options.webSocketConnectTimeoutMs);
      unrefTimer(timer);
    });
    try {
      return await Promise.race([
        connection.connect().then(
          () => undefined,
          (): FallbackReason => 'ws_refused',
        ),
        timedOut,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Hands the run over when the shared socket drops and is not back within the timeout. */
  function watchSocket(attempt: AbortController): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopWatching = connection.onStateChange((state) => {
      clearTimeout(timer);
      if (state === 'open') return;
      timer = setTimeout(() => attempt.abort(new TransportHandover('ws_lost')), options.webSocketConnectTimeoutMs);
      unrefTimer(timer);
    });
    return () => {
      clearTimeout(timer);
      stopWatching();
    };
  }

  /**
   * The events of one attempt. SSE is watched until its first event: after `bufferingTimeoutMs` without one, the run is
   * looked up (by id, or by the idempotency key when no event told the id yet); if it moved past what arrived, an
   * intermediary is holding the stream and the attempt is handed over.
   */
  async function* watched(
    source: AsyncIterable<RunEvent>,
    bufferingCheck: (() => Promise<boolean>) | undefined,
  ): AsyncGenerator<RunEvent> {
    const iterator = source[Symbol.asyncIterator]();
    let pending = iterator.next();
    let heard = bufferingCheck === undefined;
    try {
      for (;;) {
        const result = heard ? await pending : await within(pending, options.bufferingTimeoutMs);
        if (result === undefined) {
          if (await bufferingCheck?.()) throw new TransportHandover('sse_buffered');
          continue;
        }
        if (result.done) return;
        heard = true;
        yield result.value;
        pending = iterator.next();
      }
    } finally {
      void iterator.return?.()?.catch?.(() => {});
      pending.catch(() => {});
    }
  }

  /**
   * True when the run has events beyond `state.lastSeq` that this transport has not delivered. With no event yet, the
   * run is found by its idempotency key: `POST /api/async/chat` with the same key and body answers the same run (and
   * creates it if the held request never reached the server, which the held request then attaches to).
   */
  async function movedOn(
    state: { runId: string | undefined; lastSeq: number },
    request: ChatRequest | undefined,
    key: string,
    signal: AbortSignal,
  ): Promise<boolean> {
    try {
      if (state.runId === undefined && request) {
        const created = await http.send('/api/async/chat', {
          method: 'POST',
          body: request,
          headers: { 'idempotency-key': key },
          signal,
        });
        state.runId = (await http.readJson<AsyncChatAccepted>(created)).task_id;
      }
      if (state.runId === undefined) return false;
      const response = await http.send(`/api/runs/${encodeURIComponent(state.runId)}`, { signal });
      const snapshot = await http.readJson<RunSnapshot>(response);
      return snapshot.last_seq > state.lastSeq;
    } catch {
      return false;
    }
  }

  return {
    mode: 'auto',
    start: (request, context) => deliver(request, undefined, -1, context),
    resume: (runId, after, context) => deliver(undefined, runId, after, context),
    cancel: (runId, context) => transports.sse.cancel?.(runId, context) ?? Promise.resolve(),
  };
}

/** The fallback reason an attempt was handed over for (by a watcher), if that is why it stopped. */
function handoverReason(reason: unknown): FallbackReason | undefined {
  if (!(reason instanceof TransportHandover)) return undefined;
  const known: readonly string[] = ['ws_refused', 'ws_timeout', 'ws_lost', 'sse_buffered', 'sse_failed'];
  return known.includes(reason.message) ? (reason.message as FallbackReason) : undefined;
}

/**
 * Whether `error` is the transport's failure (another one may do better) rather than the server's answer. A ws attempt
 * starts on an open socket, so its transport failures are all `ws_lost`; `socketDown` says the socket was not open
 * when it failed.
 */
function transportFailure(mode: StreamingMode, error: unknown, socketDown: boolean): FallbackReason | undefined {
  if (error instanceof TransportHandover) {
    const reason = handoverReason(error);
    return reason ?? (mode === 'ws' ? 'ws_lost' : mode === 'sse' ? 'sse_failed' : undefined);
  }
  if (!isChatError(error)) return mode === 'ws' ? 'ws_lost' : mode === 'sse' ? 'sse_failed' : undefined;
  const code = (error as ChatError).code;
  if (mode === 'ws') return code === 'network' || socketDown ? 'ws_lost' : undefined;
  if (mode === 'sse') return code === 'network' || code === 'bad_response' ? 'sse_failed' : undefined;
  return undefined;
}

/** The iterator result, or undefined when `ms` pass first (the promise is left pending, to be awaited again). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    unrefTimer(timer);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
