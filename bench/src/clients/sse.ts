import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { request, type Dispatcher } from 'undici';
import { createPool } from './http-pool.js';
import type { ChatTimer } from './chat-timer.js';
import type { TargetClient, TargetClientOptions } from './target-client.js';

/** What an SSE dialect does with each message: count a token, end with a token count, or fail. */
export type SseDialect = (message: EventSourceMessage, at: number, timer: ChatTimer) => { tokens: number } | undefined;

/** Options of {@link createSseClient}. */
export interface SseClientOptions extends TargetClientOptions {
  path: string;
  /** Makes the dialect of one chat (a dialect may count what it saw). */
  dialect: () => SseDialect;
}

/** chatwire's SSE (the kit and the bare floor send the same events): `event: token` ... `event: done`. */
export const chatwireDialect: SseDialect = (message, at, timer) => {
  if (message.event === 'token') timer.token(at);
  else if (message.event === 'done')
    return { tokens: (JSON.parse(message.data) as { usage: { completion_tokens: number } }).usage.completion_tokens };
  else if (message.event === 'error') throw new Error((JSON.parse(message.data) as { code: string }).code);
  return undefined;
};

/** The AI SDK's UI message stream: `data: {"type":"text-delta",...}` per token, then `finish` and `[DONE]`. */
export function uiMessageDialect(): SseDialect {
  // It counts the deltas itself: the stream carries no usage.
  let deltas = 0;
  return (message, at, timer) => {
    if (message.data.startsWith('{"type":"text-delta"')) {
      deltas++;
      timer.token(at);
    } else if (message.data === '[DONE]') {
      return { tokens: deltas };
    } else if (message.data.startsWith('{"type":"error"')) throw new Error(message.data);
    return undefined;
  };
}

/** POSTs the request and reads the `text-event-stream` answer with eventsource-parser. */
export function createSseClient(options: SseClientOptions): TargetClient {
  const pool = createPool(options.concurrency);
  return {
    session: () => ({
      chat: (body, timer, signal) =>
        streamChat(pool, `${options.url}${options.path}`, JSON.stringify(body), timer, signal, options.dialect()),
      close: () => Promise.resolve(),
    }),
    close: () => pool.close(),
  };
}

async function streamChat(
  pool: Dispatcher,
  url: string,
  body: string,
  timer: ChatTimer,
  signal: AbortSignal,
  dialect: SseDialect,
): Promise<number> {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    dispatcher: pool,
    signal,
  });
  if (response.statusCode !== 200) {
    await response.body.dump();
    throw new Error(`HTTP ${response.statusCode}`);
  }
  let at = 0;
  let result: { tokens: number } | undefined;
  let failure: unknown;
  const parser = createParser({
    onEvent(message) {
      try {
        result ??= dialect(message, at, timer);
      } catch (error) {
        failure ??= error;
      }
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    at = performance.now();
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (failure) throw failure;
  }
  if (!result) throw new Error('the stream ended without a terminal event');
  return result.tokens;
}
