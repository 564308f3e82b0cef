import { createSimulatedProvider } from '@chatwire/server-kit';
import type { TargetClient } from './target-client.js';

/** The limit: the simulated provider called in this process, no server, no network. */
export function createDirectClient(): TargetClient {
  const provider = createSimulatedProvider();
  return {
    session: () => ({
      async chat(request, timer, signal) {
        const messages = [{ role: 'user' as const, content: request.message }];
        let tokens = 0;
        for await (const chunk of provider.stream(
          { model: request.model, messages, max_tokens: request.max_tokens },
          signal,
        )) {
          if (chunk.type === 'token') {
            timer.token();
            tokens++;
          }
        }
        return tokens;
      },
      close: () => Promise.resolve(),
    }),
    close: () => Promise.resolve(),
  };
}
