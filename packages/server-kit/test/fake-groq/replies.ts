import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  completionBody,
  contentChunk,
  decommissionedBody,
  errorBody,
  finishChunk,
  rateLimitBody,
  roleChunk,
  usage,
  xGroqErrorChunk,
  INVALID_API_KEY_BODY,
  type StreamIds,
} from './fixtures.js';

/**
 * One scripted answer to `POST /openai/v1/chat/completions`. Kinds that stream (`stream`, `stream-error-event`,
 * `x-groq-error`, `stall`, `cut`, `end-early`) first send their `tokens` like a normal answer.
 */
export type FakeGroqReply =
  /** A normal answer; a request without `"stream": true` gets the `chat.completion` JSON instead. */
  | {
      kind: 'stream';
      tokens?: readonly string[];
      delayMs?: number;
      finishReason?: string;
      /** Reported usage; `false` sends the finish chunk without any usage. */
      usage?: { prompt_tokens: number; completion_tokens: number } | false;
    }
  /** 429 with `retry-after` (seconds) and `x-ratelimit-reset-*` durations such as `7.66s` or `2m59.56s`. */
  | { kind: 'rate-limit'; retryAfter?: string; resetTokens?: string; resetRequests?: string }
  /** 401 `invalid_api_key`, as for a wrong key. */
  | { kind: 'unauthorized' }
  /** `model_decommissioned` (Groq's captures show 404; 400 has been seen too). */
  | { kind: 'decommissioned'; status?: 400 | 404 }
  /** 5xx with Groq's error body. */
  | { kind: 'server-error'; status?: number; retryAfter?: string }
  /** Tokens, then a `data:` event holding a top-level `error` object (groq-sdk throws an APIError without status). */
  | { kind: 'stream-error-event'; tokens?: readonly string[] }
  /** Tokens, then a chunk whose `x_groq.error` is set (groq-sdk does not throw), then `[DONE]`. */
  | { kind: 'x-groq-error'; tokens?: readonly string[]; finishReason?: string }
  /** Headers and tokens, then nothing until the client gives up or the fake closes. */
  | { kind: 'stall'; tokens?: readonly string[] }
  /** Tokens, then the socket is destroyed mid-body. */
  | { kind: 'cut'; tokens?: readonly string[] }
  /** Tokens, then `[DONE]` without a finish chunk. */
  | { kind: 'end-early'; tokens?: readonly string[] }
  /** Nothing at all, not even headers, until the client gives up or the fake closes. */
  | { kind: 'hang' }
  /** Any status, body and headers. */
  | { kind: 'status'; status: number; body: unknown; headers?: Record<string, string> };

/** What a reply needs to know about the request it answers. */
export interface ReplyContext {
  response: ServerResponse;
  ids: StreamIds;
  streamed: boolean;
  promptTokens: number;
  defaultTokens: readonly string[];
  defaultDelayMs: number;
  /** Called just before the fake destroys the socket itself. */
  onCut: () => void;
}

const RATE_LIMIT_HEADERS = {
  'x-ratelimit-limit-requests': '1000',
  'x-ratelimit-limit-tokens': '8000',
  'x-ratelimit-remaining-requests': '999',
  'x-ratelimit-remaining-tokens': '50',
};

/** Writes `reply` to the response; resolves when done writing (at once for `hang`, after the tokens for `stall`). */
export async function writeReply(reply: FakeGroqReply, context: ReplyContext): Promise<void> {
  const { response, ids } = context;
  switch (reply.kind) {
    case 'stream':
      return writeAnswer(reply, context);
    case 'rate-limit': {
      const retryAfter = reply.retryAfter ?? '1';
      return writeJson(response, 429, rateLimitBody(ids.modelId, `${retryAfter}s`), {
        ...RATE_LIMIT_HEADERS,
        'retry-after': retryAfter,
        'x-ratelimit-reset-requests': reply.resetRequests ?? '2m59.56s',
        'x-ratelimit-reset-tokens': reply.resetTokens ?? '7.66s',
      });
    }
    case 'unauthorized':
      return writeJson(response, 401, INVALID_API_KEY_BODY);
    case 'decommissioned':
      return writeJson(response, reply.status ?? 404, decommissionedBody(ids.modelId));
    case 'server-error': {
      const status = reply.status ?? 503;
      const body = errorBody('Service Unavailable', 'internal_server_error', 'service_unavailable');
      return writeJson(
        response,
        status,
        body,
        reply.retryAfter === undefined ? {} : { 'retry-after': reply.retryAfter },
      );
    }
    case 'hang':
      return;
    case 'status':
      return writeJson(response, reply.status, reply.body, reply.headers ?? {});
    case 'stream-error-event':
    case 'x-groq-error':
    case 'stall':
    case 'cut':
    case 'end-early': {
      if (!(await writeTokens(reply.tokens ?? context.defaultTokens, context.defaultDelayMs, context))) return;
      if (reply.kind === 'stall') return;
      if (reply.kind === 'cut') {
        // Lets what was written reach the client first: destroy() would drop the socket's pending writes.
        const socket = response.socket;
        await new Promise<void>((resolve) => (socket ? socket.write('', () => resolve()) : resolve()));
        context.onCut();
        socket?.destroy();
        return;
      }
      if (reply.kind === 'stream-error-event') {
        writeEvent(
          response,
          errorBody('Internal Server Error: the model stopped responding', 'internal_server_error', null),
        );
      }
      if (reply.kind === 'x-groq-error') {
        writeEvent(response, xGroqErrorChunk(ids, 'upstream model error', reply.finishReason ?? null));
      }
      response.end('data: [DONE]\n\n');
      return;
    }
  }
}

async function writeAnswer(reply: Extract<FakeGroqReply, { kind: 'stream' }>, context: ReplyContext): Promise<void> {
  const tokens = reply.tokens ?? context.defaultTokens;
  const reported =
    reply.usage === undefined ? { prompt_tokens: context.promptTokens, completion_tokens: tokens.length } : reply.usage;
  const usageObject = reported === false ? undefined : usage(reported.prompt_tokens, reported.completion_tokens);
  if (!context.streamed) {
    return writeJson(context.response, 200, completionBody(context.ids, tokens.join(''), usageObject ?? usage(0, 0)));
  }
  if (!(await writeTokens(tokens, reply.delayMs ?? context.defaultDelayMs, context))) return;
  const finish = finishChunk(context.ids, reply.finishReason ?? 'stop', usageObject ?? {});
  if (usageObject === undefined) {
    delete finish.usage;
    finish.x_groq = { id: context.ids.requestId };
  }
  writeEvent(context.response, finish);
  context.response.end('data: [DONE]\n\n');
}

/** Sends the SSE headers, the role chunk and one chunk per token; false when the client went away. */
async function writeTokens(tokens: readonly string[], delayMs: number, context: ReplyContext): Promise<boolean> {
  const { response, ids } = context;
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...RATE_LIMIT_HEADERS });
  response.flushHeaders();
  writeEvent(response, roleChunk(ids));
  for (const text of tokens) {
    if (delayMs > 0) await sleep(delayMs);
    if (response.destroyed) return false;
    writeEvent(response, contentChunk(ids, text));
  }
  return !response.destroyed;
}

function writeEvent(response: ServerResponse, data: unknown): void {
  if (!response.destroyed) response.write(`data: ${JSON.stringify(data)}\n\n`);
}

/** Answers `status` with a JSON body. */
export function writeJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}
