import {
  isFinalStatus,
  isTerminalEvent,
  type AsyncChatAccepted,
  type RunEvent,
  type RunSnapshot,
} from '@chatwire/protocol';
import { ChatError, isChatError } from '../chat-error.js';
import { parseRetryAfter, type HttpClient } from '../http-client.js';
import { retryDelay, sleep, type RetryPolicy } from '../retry.js';
import type { Transport, TransportContext } from '../transport.js';
import { cancelRun } from '../cancel-run.js';

/** Options of {@link createPollingTransport}. */
export interface PollingTransportOptions {
  http: HttpClient;
  retry: RetryPolicy;
  /** Long-poll `wait` in seconds; 0 polls without waiting, pacing polls by `Retry-After` (default 20). */
  waitSeconds: number;
}

/**
 * `polling`: `POST /api/async/chat`, then `GET /api/async/status/:id?after=SEQ&wait=S` long polls, each answering the
 * events newer than the last one seen, so tokens arrive while the run goes. A poll that fails (network, 429, 5xx) is
 * retried with backoff (at least the server's `Retry-After`) from the same `after`, so nothing is lost or repeated.
 */
export function createPollingTransport(options: PollingTransportOptions): Transport {
  const { http, retry, waitSeconds } = options;

  async function* follow(id: string, after: number, context: TransportContext): AsyncGenerator<RunEvent> {
    let cursor = after;
    let failures = 0;
    for (;;) {
      let snapshot: RunSnapshot;
      let retryAfterMs: number | undefined;
      try {
        const path = `/api/async/status/${encodeURIComponent(id)}?after=${cursor}&wait=${waitSeconds}`;
        const response = await http.send(path, { signal: context.signal, stats: context.stats });
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        snapshot = await http.readJson<RunSnapshot>(response, context.stats);
        failures = 0;
      } catch (error) {
        if (context.signal.aborted || !isRetryable(error) || ++failures >= retry.attempts) throw error;
        context.stats.reconnect();
        await sleep(retryDelay(failures, retry, isChatError(error) ? error.retryAfterMs : undefined), context.signal);
        continue;
      }
      const events = snapshot.events ?? [];
      for (const event of events) {
        if (event.seq <= cursor) continue;
        cursor = event.seq;
        yield event;
        if (isTerminalEvent(event)) return;
      }
      if (isFinalStatus(snapshot.status) && cursor >= snapshot.last_seq) {
        throw new ChatError(
          'bad_response',
          `${http.origin} reported run ${id} ${snapshot.status} without its last event`,
        );
      }
      // New events: ask again at once (the long poll waits on the server). Nothing new: pace by Retry-After.
      if (events.length === 0 || waitSeconds === 0) await sleep(retryAfterMs ?? 1000, context.signal);
    }
  }

  /** Creation is retried only with an idempotency key: the server then answers the same run, never a second one. */
  async function withRetries<T>(create: () => Promise<T>, context: TransportContext): Promise<T> {
    for (let failures = 1; ; failures++) {
      try {
        return await create();
      } catch (error) {
        if (
          context.idempotencyKey === undefined ||
          context.signal.aborted ||
          !isRetryable(error) ||
          failures >= retry.attempts
        )
          throw error;
        context.stats.reconnect();
        await sleep(retryDelay(failures, retry, isChatError(error) ? error.retryAfterMs : undefined), context.signal);
      }
    }
  }

  return {
    mode: 'polling',
    async *start(request, context) {
      const headers: Record<string, string> = {};
      if (context.idempotencyKey !== undefined) headers['idempotency-key'] = context.idempotencyKey;
      // The answer is read inside the retries: one cut off mid-body is as lost as one that never came.
      const create = async () => {
        const response = await http.send('/api/async/chat', {
          method: 'POST',
          body: request,
          headers,
          signal: context.signal,
          stats: context.stats,
        });
        return http.readJson<AsyncChatAccepted>(response, context.stats);
      };
      const accepted = await withRetries(create, context);
      if (typeof accepted?.task_id !== 'string') {
        throw new ChatError('bad_response', `${http.origin} accepted an async chat without a task_id`);
      }
      yield* follow(accepted.task_id, -1, context);
    },
    resume: follow,
    cancel: async (runId, context) => void (await cancelRun(http, runId, context)),
  };
}

function isRetryable(error: unknown): boolean {
  return isChatError(error) && error.retryable;
}
