import type { ModelInfo } from '@chatwire/protocol';

import { ChatError } from '../chat-error.js';
import type { Provider, ProviderChunk, ProviderRequest } from '../provider.js';
import { assertValidProfile, planBursts, SIMULATED_PROFILES, type SimulatedProfile } from './simulated-profiles.js';
import { createSeededRandom } from './simulated-random.js';
import { simulatedSeed, writeSimulatedAnswer } from './simulated-text.js';
import { estimatePromptTokens, splitIntoTokens } from './simulated-tokens.js';

/** A failure to inject into one simulated run. Only options trigger faults, never prompt text. */
export interface SimulatedFault {
  /** Refuse before the first token with `upstream_rate_limited`, asking the caller to wait `retryAfterMs`. */
  rateLimit?: { retryAfterMs: number };
  /** Throw `upstream_unavailable` after this many tokens (0: before the first; past the end: instead of `done`). */
  failAfterTokens?: number;
  /** After this many tokens, wait until the signal aborts. */
  stallAfterTokens?: number;
}

/** Options of {@link createSimulatedProvider}. */
export interface SimulatedProviderOptions {
  /** Model used when a request names none (default `sim/gpt-oss-20b`, so a demo looks like a real model). */
  defaultModel?: string;
  /** Extra models or replacements for the built-in {@link SIMULATED_PROFILES}, by model id. */
  profiles?: Record<string, SimulatedProfile>;
  /** A fault for every run, or a function choosing one per run (`call` counts `stream` calls from 0). */
  faults?: SimulatedFault | ((request: ProviderRequest, call: number) => SimulatedFault | undefined);
  /** Called each time `stream` is called, before any work. */
  onStream?: (request: ProviderRequest) => void;
  /** Called when a run stops because its signal aborted, just before it throws `cancelled`. */
  onAbort?: (request: ProviderRequest) => void;
  /** Monotonic clock in ms used to keep bursts on schedule (default `performance.now`). */
  now?: () => number;
}

const DEFAULT_MODEL = 'sim/gpt-oss-20b';
// How many tokens an instant run streams before letting timers and I/O run, so a long answer cannot starve a server.
const INSTANT_YIELD_EVERY = 64;

/**
 * The offline model: deterministic, markdown-ish answers streamed at the pace of a real model (`sim/gpt-oss-20b`,
 * `sim/gpt-oss-120b`) or with no delay at all (`sim/instant`). The same request always gives the same tokens.
 *
 * @example
 * const provider = createSimulatedProvider({ defaultModel: 'sim/instant' });
 * const controller = new AbortController();
 * const request = { model: 'sim/instant', messages: [{ role: 'user' as const, content: 'Hi' }] };
 * for await (const chunk of provider.stream(request, controller.signal)) {
 *   if (chunk.type === 'token') process.stdout.write(chunk.text);
 * }
 */
export function createSimulatedProvider(options: SimulatedProviderOptions = {}): Provider {
  // A Map, not an object lookup, so ids such as "constructor" or "__proto__" are unknown models like any other.
  const profiles = new Map<string, SimulatedProfile>(Object.entries({ ...SIMULATED_PROFILES, ...options.profiles }));
  for (const [model, profile] of profiles) assertValidProfile(model, profile);
  const modelIds = [...profiles.keys()];
  const defaultModel = options.defaultModel ?? DEFAULT_MODEL;
  if (!profiles.has(defaultModel))
    throw new RangeError(`defaultModel "${defaultModel}" is not one of ${modelIds.join(', ')}`);
  const now = options.now ?? (() => performance.now());
  let calls = 0;

  async function* run(request: ProviderRequest, signal: AbortSignal, call: number): AsyncGenerator<ProviderChunk> {
    const profile = profiles.get(request.model);
    if (!profile)
      throw new ChatError('invalid_model', `unknown model "${request.model}"; valid ids: ${modelIds.join(', ')}`);
    const fault = typeof options.faults === 'function' ? options.faults(request, call) : options.faults;
    try {
      throwIfAborted(signal);
      if (fault?.rateLimit) {
        const { retryAfterMs } = fault.rateLimit;
        throw new ChatError('upstream_rate_limited', 'the simulated upstream is rate limiting requests', {
          retryAfterMs,
        });
      }
      const answer = splitIntoTokens(writeSimulatedAnswer(request));
      const limit = request.max_tokens ?? Number.POSITIVE_INFINITY;
      const tokens = answer.length > limit ? answer.slice(0, limit) : answer;
      const instant = !Number.isFinite(profile.tokensPerSecond);
      let due = now();
      let sent = 0;
      for (const burst of planBursts(profile, tokens.length, createSeededRandom(simulatedSeed(request) ^ 0x5bd1e995))) {
        if (burst.delayMs > 0) {
          // Sleeping to an absolute deadline absorbs timer lateness, so the average rate matches the profile.
          due += burst.delayMs;
          await sleep(due - now(), signal);
        }
        for (let index = 0; index < burst.tokens; index++) {
          await injectFault(fault, sent, signal);
          throwIfAborted(signal);
          yield { type: 'token', text: tokens[sent] ?? '' };
          sent++;
          if (instant && sent % INSTANT_YIELD_EVERY === 0) await yieldToEventLoop();
        }
      }
      await injectFault(fault, Number.POSITIVE_INFINITY, signal);
      throwIfAborted(signal);
      const promptTokens = estimatePromptTokens(request.messages);
      yield {
        type: 'done',
        finish_reason: tokens.length < answer.length ? 'length' : 'stop',
        usage: { prompt_tokens: promptTokens, completion_tokens: sent, total_tokens: promptTokens + sent },
      };
    } catch (error) {
      if (signal.aborted && error instanceof ChatError && error.code === 'cancelled') options.onAbort?.(request);
      throw error;
    }
  }

  return {
    name: 'simulated',
    defaultModel,
    listModels: () => Promise.resolve(modelIds.map((id): ModelInfo => ({ id, provider: 'simulated' }))),
    stream(request, signal) {
      options.onStream?.(request);
      return run(request, signal, calls++);
    },
  };
}

async function injectFault(fault: SimulatedFault | undefined, sent: number, signal: AbortSignal): Promise<void> {
  if (fault?.failAfterTokens !== undefined && sent >= fault.failAfterTokens) {
    throw new ChatError('upstream_unavailable', 'the simulated upstream failed mid-answer');
  }
  if (fault?.stallAfterTokens !== undefined && sent >= fault.stallAfterTokens) await waitForAbort(signal);
}

function cancelled(): ChatError {
  return new ChatError('cancelled', 'the run was cancelled');
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw cancelled();
}

/** Resolves after `ms`, or rejects with `cancelled` as soon as `signal` aborts; either way no timer outlives it. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancelled());
    if (ms <= 0) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Rejects with `cancelled` when `signal` aborts, else never settles; it holds no timer to keep a process alive. */
function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(cancelled());
    signal.addEventListener('abort', () => reject(cancelled()), { once: true });
  });
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
