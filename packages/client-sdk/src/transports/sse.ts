import { isTerminalEvent, type RunEvent } from '@chatwire/protocol';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { cancelRun } from '../cancel-run.js';
import { ChatError, isChatError } from '../chat-error.js';
import type { HttpClient } from '../http-client.js';
import { retryDelay, sleep, unrefTimer, type RetryPolicy } from '../retry.js';
import type { Transport, TransportContext } from '../transport.js';

/** Options of {@link createSseTransport}. */
export interface SseTransportOptions {
  http: HttpClient;
  retry: RetryPolicy;
  /** A stream silent this long (no event, no heartbeat comment) is treated as dropped and resumed (default 45 s). */
  idleTimeoutMs: number;
}

/**
 * `sse`: `POST /api/sse/chat` read with `fetch` and `eventsource-parser` (`EventSource` cannot POST or send headers).
 * When the stream breaks or goes silent before the terminal event, it resumes with `GET /api/sse/chat/:id` and
 * `Last-Event-ID: <last seq>`, with backoff, so no event is lost or repeated.
 */
export function createSseTransport(options: SseTransportOptions): Transport {
  const { http, retry, idleTimeoutMs } = options;

  function open(path: string, context: TransportContext, init: { body?: unknown; headers?: Record<string, string> }) {
    return http.send(path, {
      method: init.body === undefined ? 'GET' : 'POST',
      ...(init.body === undefined ? {} : { body: init.body }),
      headers: { accept: 'text/event-stream', ...init.headers },
      signal: context.signal,
      stats: context.stats,
    });
  }

  /**
   * Reads streams of one run until its terminal event, resuming after each break. `create` starts the run; it is
   * retried only with an idempotency key, which makes the server answer the same run instead of a second one.
   */
  async function* follow(
    create: (() => Promise<Response>) | undefined,
    id: string | undefined,
    after: number,
    context: TransportContext,
  ) {
    let runId = id;
    let lastSeq = after;
    let failures = 0;
    let pending = create?.();
    const canRecreate = create !== undefined && context.idempotencyKey !== undefined;
    for (;;) {
      let failure: unknown;
      try {
        pending ??=
          runId === undefined && create
            ? create()
            : open(`/api/sse/chat/${encodeURIComponent(runId ?? '')}`, context, {
                headers: { 'last-event-id': String(lastSeq) },
              });
        const response = await pending;
        for await (const event of readEvents(response, context, idleTimeoutMs, http.origin)) {
          if (event.seq <= lastSeq) continue;
          runId = event.id;
          lastSeq = event.seq;
          failures = 0;
          yield event;
          if (isTerminalEvent(event)) return;
        }
      } catch (error) {
        if (context.signal.aborted || (isChatError(error) && !error.retryable)) throw error;
        failure = error;
      }
      // The stream broke, went silent or ended before the terminal event: resume after the last seq seen.
      pending = undefined;
      const broken = isChatError(failure)
        ? failure
        : new ChatError('network', `the event stream from ${http.origin} broke before the run ended`, {
            cause: failure,
          });
      if ((runId === undefined && !canRecreate) || ++failures >= retry.attempts) throw broken;
      context.stats.reconnect();
      await sleep(retryDelay(failures, retry, broken.retryAfterMs), context.signal);
    }
  }

  return {
    mode: 'sse',
    start(request, context) {
      const headers: Record<string, string> = {};
      if (context.idempotencyKey !== undefined) headers['idempotency-key'] = context.idempotencyKey;
      return follow(() => open('/api/sse/chat', context, { body: request, headers }), undefined, -1, context);
    },
    resume(runId, after, context) {
      return follow(undefined, runId, after, context);
    },
    cancel: async (runId, context) => void (await cancelRun(http, runId, context)),
  };
}

/** Yields the run events of one `text/event-stream` response until it ends; a silent stream is cut after `idleMs`. */
async function* readEvents(
  response: Response,
  context: TransportContext,
  idleMs: number,
  origin: string,
): AsyncGenerator<RunEvent> {
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/event-stream') || !response.body) {
    await response.body?.cancel().catch(() => {});
    throw new ChatError('bad_response', `${origin} did not answer with an event stream`, { status: response.status });
  }
  const messages: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => void messages.push(message) });
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Cancelling the reader makes the pending read end the stream, which resumes the run.
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void reader.cancel().catch(() => {}), idleMs);
    unrefTimer(timer);
  };
  try {
    for (;;) {
      arm();
      const { value, done } = await reader.read();
      if (done) return;
      context.stats.received(value.byteLength);
      parser.feed(decoder.decode(value, { stream: true }));
      for (const message of messages.splice(0)) yield toRunEvent(message, origin);
    }
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
}

function toRunEvent(message: EventSourceMessage, origin: string): RunEvent {
  let event: RunEvent;
  try {
    event = JSON.parse(message.data) as RunEvent;
  } catch (error) {
    throw new ChatError('bad_response', `${origin} sent an SSE event that is not JSON`, { cause: error });
  }
  if (typeof event?.id !== 'string' || typeof event.seq !== 'number' || event.type !== message.event) {
    throw new ChatError('bad_response', `${origin} sent an SSE event that is not a chatwire run event`);
  }
  return event;
}
