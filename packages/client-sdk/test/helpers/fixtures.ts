import { createSimulatedProvider } from '@chatwire/server-kit';
import type { ChatMessage } from '@chatwire/protocol';
import { observeProvider, type ObservedProvider } from '../../../server-kit/test/helpers/observed-provider.js';

/** Streams long enough to be interrupted: about 150 tokens a second, in small bursts. */
export const SLOW_MODEL = 'sim/slow';
/** Fails with `upstream_unavailable` after five tokens. */
export const FLAKY_MODEL = 'sim/flaky';
/** Refused upstream with `upstream_rate_limited`, asking to retry after {@link RATE_LIMIT_RETRY_MS}. */
export const LIMITED_MODEL = 'sim/limited';
export const RATE_LIMIT_RETRY_MS = 2000;

const instant = { tokensPerSecond: Number.POSITIVE_INFINITY, firstTokenMs: { min: 0, max: 0 }, burstIntervalMs: 0 };

/** The simulated provider with the test models, observed (calls and aborts). */
export function createTestProvider(): ObservedProvider {
  return observeProvider(
    createSimulatedProvider({
      defaultModel: 'sim/instant',
      profiles: {
        [SLOW_MODEL]: { tokensPerSecond: 150, firstTokenMs: { min: 5, max: 5 }, burstIntervalMs: 20 },
        [FLAKY_MODEL]: instant,
        [LIMITED_MODEL]: instant,
      },
      faults: (request) => {
        if (request.model === FLAKY_MODEL) return { failAfterTokens: 5 };
        if (request.model === LIMITED_MODEL) return { rateLimit: { retryAfterMs: RATE_LIMIT_RETRY_MS } };
        return undefined;
      },
    }),
  );
}

/** The text the provider gives for `messages` on `model`, straight from the provider (no server, no client). */
export async function expectedText(
  provider: ObservedProvider,
  request: { messages: ChatMessage[]; model?: string; max_tokens?: number; temperature?: number },
): Promise<string> {
  let text = '';
  const calls = provider.calls.length;
  const { model = 'sim/instant', ...rest } = request;
  for await (const chunk of provider.stream({ ...rest, model }, new AbortController().signal)) {
    if (chunk.type === 'token') text += chunk.text;
  }
  provider.calls.splice(calls); // this call was the test's, not a client's
  return text;
}

/** Polls `check` until it holds (a wait, not a timing assertion). */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
