import type { ModelInfo, Usage } from '@chatwire/protocol';
import Groq from 'groq-sdk';
import type { ChatCompletionCreateParamsStreaming } from 'groq-sdk/resources/chat/completions';
import type { CompletionUsage } from 'groq-sdk/resources/completions';
import { ChatError } from '../chat-error.js';
import { GroqChunkReader } from './groq-chunks.js';
import { sendChatCompletion } from './groq-request.js';
import { formatDuration, retryDelay, toChatError } from './groq-errors.js';
import type { Provider, ProviderChunk, ProviderRequest } from '../provider.js';

/** Options of {@link createGroqProvider}. */
export interface GroqProviderOptions {
  /** The Groq API key. It is only ever sent as the `Authorization` header, never put in an error. */
  apiKey: string;
  /** Origin of the API (default `https://api.groq.com`); the SDK appends `/openai/v1/...`. */
  baseURL?: string;
  /** Model for requests that name none (default `openai/gpt-oss-20b`). */
  defaultModel?: string;
  /** Fixed model ids; without it the active chat models are listed from Groq and cached for five minutes. */
  models?: readonly string[];
  /**
   * Longest wait for a connection and response headers, in ms (default 60,000). The run then fails with
   * `upstream_timeout`; the request itself is closed when the stream's signal aborts (the kit's run engine aborts a
   * failed run's signal once the run has ended).
   */
  timeoutMs?: number;
  /** Longest gap between two streamed chunks, in ms (default 30,000). */
  idleTimeoutMs?: number;
  /** Retries of a request that failed before its first token (default 1). */
  maxRetries?: number;
  /** Longest wait before a retry, in ms; a longer `retry-after` fails at once (default 5,000). */
  maxRetryAfterMs?: number;
  /** The `fetch` the SDK uses (default the global one). */
  fetch?: typeof globalThis.fetch;
}

/** Ids served when the model list cannot be fetched. */
export const GROQ_FALLBACK_MODELS: readonly string[] = ['openai/gpt-oss-20b', 'openai/gpt-oss-120b'];

const MODELS_TTL_MS = 5 * 60_000;
const FALLBACK_TTL_MS = 30_000;
const NON_CHAT_MODEL = /whisper|tts|orpheus|guard/i;

/**
 * A {@link Provider} backed by Groq's chat completions API: each request built by `groq-sdk` and sent with `fetch`
 * (see `groq-request.ts`), the SDK's retries replaced by bounded ones, an idle timeout between chunks, and every
 * failure turned into a client-safe {@link ChatError}. Throws a `TypeError` when `apiKey` is empty.
 *
 * @example
 * const apiKey = process.env.GROQ_API_KEY;
 * const provider = apiKey ? createGroqProvider({ apiKey }) : createSimulatedProvider();
 * for await (const chunk of provider.stream({ model: provider.defaultModel, messages }, signal)) console.log(chunk);
 */
export function createGroqProvider(options: GroqProviderOptions): Provider {
  // An empty key would only surface later, as a 401 on every run.
  if (!options.apiKey) throw new TypeError('createGroqProvider: apiKey is required');
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const maxRetries = options.maxRetries ?? 1;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const fetch = options.fetch ?? globalThis.fetch;
  // The SDK would sleep for any retry-after, however long, so it never retries and this provider does instead. It
  // builds the chat request and its errors, and lists the models; the chat request is sent by sendChatCompletion.
  const client = new Groq({
    apiKey: options.apiKey,
    maxRetries: 0,
    timeout: timeoutMs,
    ...(options.baseURL === undefined ? {} : { baseURL: options.baseURL }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  let cache: { models: ModelInfo[]; expiresAt: number } | undefined;
  let pending: Promise<ModelInfo[]> | undefined;

  async function fetchModels(): Promise<ModelInfo[]> {
    try {
      const list = await client.models.list({ timeout: Math.ceil(Math.min(timeoutMs, 10_000)) });
      const ids = list.data
        .filter((model) => (model as { active?: boolean }).active !== false && !NON_CHAT_MODEL.test(model.id))
        .map((model) => model.id);
      if (ids.length === 0) throw new Error('Groq listed no active chat model');
      cache = { models: toModelInfo(ids), expiresAt: Date.now() + MODELS_TTL_MS };
    } catch {
      cache = { models: toModelInfo(GROQ_FALLBACK_MODELS), expiresAt: Date.now() + FALLBACK_TTL_MS };
    }
    return cache.models;
  }

  return {
    name: 'groq',
    defaultModel: options.defaultModel ?? 'openai/gpt-oss-20b',

    async listModels(signal) {
      if (options.models) return toModelInfo(options.models);
      if (cache && cache.expiresAt > Date.now()) return cache.models;
      pending ??= fetchModels().finally(() => (pending = undefined));
      return signal ? raceAbort(pending, signal) : pending;
    },

    async *stream(request, signal) {
      for (let retry = 0; ; retry += 1) {
        let tokens = 0;
        let chunks: GroqChunkReader | undefined;
        try {
          if (signal.aborted) throw cancelled();
          const response = await sendChatCompletion(client, toBody(request), {
            signal,
            timeoutMs,
            retryCount: retry,
            fetch,
          });
          chunks = new GroqChunkReader(response, idleTimeoutMs);
          let finishReason: string | undefined;
          let usage: CompletionUsage | undefined;
          // take() until a read is needed, then one read: the wait for Groq is this generator's only frame.
          for (;;) {
            const chunk = chunks.take();
            if (chunk === undefined) {
              if (chunks.done) break;
              await chunks.read();
              continue;
            }
            if (chunk.x_groq?.error) {
              throw new ChatError('upstream_error', 'Groq stopped the answer because of an error', { cause: chunk });
            }
            // Groq sends usage in the last chunk, both in x_groq and at the top level (which the SDK's type omits).
            usage = chunk.x_groq?.usage ?? (chunk as { usage?: CompletionUsage | null }).usage ?? usage;
            const choice = chunk.choices[0];
            finishReason = choice?.finish_reason ?? finishReason;
            const text = choice?.delta.content;
            if (text) {
              tokens += 1;
              yield { type: 'token', text } satisfies ProviderChunk;
            }
          }
          // An aborted request or a cut by the idle timer ends the stream without an error.
          if (signal.aborted) throw cancelled();
          if (chunks.idle && finishReason === undefined) throw idleTimeout(idleTimeoutMs);
          if (finishReason === undefined) throw new ChatError('upstream_error', 'the upstream stream ended early');
          yield { type: 'done', finish_reason: finishReason, usage: toUsage(usage, tokens) } satisfies ProviderChunk;
          return;
        } catch (caught) {
          const error = signal.aborted
            ? cancelled(caught)
            : chunks?.idle && !(caught instanceof ChatError)
              ? idleTimeout(idleTimeoutMs, caught)
              : caught;
          const failure = toChatError(error, request.model);
          const delayMs =
            tokens === 0 && retry < maxRetries ? retryDelay(error, failure, retry, maxRetryAfterMs) : undefined;
          // A retry-after beyond the cap fails at once: the client can wait better than a held-open request.
          if (delayMs === undefined || delayMs > maxRetryAfterMs) throw failure;
          await sleep(delayMs, signal);
        } finally {
          // Closes the connection whatever ended the attempt, including a consumer that stopped early.
          chunks?.close();
        }
      }
    },
  };
}

function toBody(request: ProviderRequest): ChatCompletionCreateParamsStreaming {
  const body: ChatCompletionCreateParamsStreaming = { model: request.model, messages: request.messages, stream: true };
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.max_tokens !== undefined) body.max_completion_tokens = request.max_tokens;
  return body;
}

/** Maps Groq's usage; without one, counts the streamed content chunks, a lower bound as each holds a token or more. */
function toUsage(usage: CompletionUsage | undefined, chunkCount: number): Usage {
  const count = (value: unknown): number | undefined => (typeof value === 'number' && value >= 0 ? value : undefined);
  const promptTokens = count(usage?.prompt_tokens) ?? 0;
  const completionTokens = count(usage?.completion_tokens) ?? chunkCount;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: count(usage?.total_tokens) ?? promptTokens + completionTokens,
  };
}

function toModelInfo(ids: readonly string[]): ModelInfo[] {
  return ids.map((id) => ({ id, provider: 'groq' }));
}

function cancelled(cause?: unknown): ChatError {
  return new ChatError('cancelled', 'the run was cancelled', cause === undefined ? {} : { cause });
}

function idleTimeout(idleTimeoutMs: number, cause?: unknown): ChatError {
  const message = `Groq sent nothing for ${formatDuration(idleTimeoutMs)}`;
  return new ChatError('upstream_timeout', message, cause === undefined ? {} : { cause });
}

function sleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const wait = new Promise<void>((resolve) => (timer = setTimeout(resolve, milliseconds)));
  return raceAbort(wait, signal).finally(() => clearTimeout(timer));
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
