import { Agent } from 'undici';

/** An undici pool with a keep-alive connection per virtual user, so no chat waits for another's connection. */
export function createPool(concurrency: number): Agent {
  return new Agent({
    connections: concurrency + 8,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    connect: { timeout: 30_000 },
  });
}
