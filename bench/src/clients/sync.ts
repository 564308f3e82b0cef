import type { SyncChatResponse } from '@chatwire/protocol';
import { request } from 'undici';
import { createPool } from './http-pool.js';
import type { TargetClient, TargetClientOptions } from './target-client.js';

/** `sync`: one `POST /api/sync/chat` per chat; the first token arrives with the whole answer. */
export function createSyncClient(options: TargetClientOptions): TargetClient {
  const pool = createPool(options.concurrency);
  return {
    session: () => ({
      async chat(body, timer, signal) {
        const response = await request(`${options.url}/api/sync/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          dispatcher: pool,
          signal,
        });
        const answer = (await response.body.json()) as SyncChatResponse;
        if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
        timer.token();
        return answer.usage.completion_tokens;
      },
      close: () => Promise.resolve(),
    }),
    close: () => pool.close(),
  };
}
