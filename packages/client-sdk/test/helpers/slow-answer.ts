import { createSimulatedProvider, type Provider } from '@chatwire/server-kit';
import type { ChatRequest } from '@chatwire/protocol';

/**
 * A model that streams for about ten seconds: 30 tokens a second, the answer cut at 300 tokens. Slow enough that a
 * buffering intermediary visibly holds it, and that a transport switch lands mid-answer.
 */
export const TEN_SECOND_MODEL = 'sim/ten-seconds';
export const TEN_SECOND_PROFILE = { tokensPerSecond: 30, firstTokenMs: { min: 200, max: 400 }, burstIntervalMs: 100 };

/** A request the simulated model answers with more than 300 tokens, so `max_tokens` sets its length. */
export const TEN_SECOND_REQUEST: ChatRequest & { model: string; message: string } = {
  model: TEN_SECOND_MODEL,
  message: 'Explain in detail, step by step, how streaming chat answers cross proxies, with a code example',
  max_tokens: 300,
};

/** The simulated provider with {@link TEN_SECOND_MODEL} next to the built-in models. */
export function createTenSecondProvider(): Provider {
  return createSimulatedProvider({
    defaultModel: TEN_SECOND_MODEL,
    profiles: { [TEN_SECOND_MODEL]: TEN_SECOND_PROFILE },
  });
}

/**
 * The whole text of the answer to `request`, at once: the simulated text depends only on the model's name, the
 * temperature and the messages, so a twin provider with an instant profile under the same name writes the same words.
 */
export async function answerOf(request: ChatRequest & { model: string }): Promise<string> {
  const instant = { tokensPerSecond: Number.POSITIVE_INFINITY, firstTokenMs: { min: 0, max: 0 }, burstIntervalMs: 0 };
  const twin = createSimulatedProvider({ defaultModel: request.model, profiles: { [request.model]: instant } });
  const { message, messages, ...rest } = request;
  let text = '';
  const stream = twin.stream(
    { ...rest, messages: messages ?? [{ role: 'user', content: message ?? '' }] },
    new AbortController().signal,
  );
  for await (const chunk of stream) if (chunk.type === 'token') text += chunk.text;
  return text;
}
