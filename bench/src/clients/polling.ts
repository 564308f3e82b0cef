import { createChatClient } from '@chatwire/client-sdk';
import { fetch as undiciFetch } from 'undici';
import { createPool } from './http-pool.js';
import type { TargetClient, TargetClientOptions } from './target-client.js';

/**
 * `polling` with the client SDK's own long-poll (`POST /api/async/chat`, then `GET /api/async/status/:id?after&wait`
 * until the terminal event), over an undici pool. The SDK counts its requests; the bench keeps the sum to check it
 * against the server's count.
 */
export function createPollingClient(options: TargetClientOptions): TargetClient {
  const pool = createPool(options.concurrency);
  const fetch = ((input: string, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher: pool })) as unknown as typeof globalThis.fetch;
  const client = createChatClient({ baseUrl: options.url, fetch });
  let sdkRequests = 0;
  return {
    session: () => ({
      async chat(request, timer, signal) {
        const stream = client.chat({ mode: 'polling', ...request, signal });
        let tokens = 0;
        try {
          for await (const event of stream) {
            if (event.type === 'token') timer.token();
            else if (event.type === 'done') tokens = event.usage.completion_tokens;
          }
        } finally {
          sdkRequests += stream.stats.requests;
        }
        return tokens;
      },
      close: () => Promise.resolve(),
    }),
    counters: () => ({ sdkRequests }),
    async close() {
      client.close();
      await pool.close();
    },
  };
}
