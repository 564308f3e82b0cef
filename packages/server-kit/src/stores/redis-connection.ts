import { Redis } from 'ioredis';

/**
 * Connection settings that fail fast while Redis is away: a command waits for at most one reconnection attempt before
 * it is rejected (so a request answers `503` within about a second instead of hanging), and reconnection keeps trying
 * every second at most, so service resumes on its own once Redis is back.
 */
const FAIL_FAST = {
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  retryStrategy: (times: number) => Math.min(times * 100, 1000),
};

/** Opens an ioredis connection to `url` with fail-fast settings and auto-pipelining. */
export function createRedisConnection(url: string): Redis {
  const client = new Redis(url, { ...FAIL_FAST, enableAutoPipelining: true });
  // Failures surface on the commands that hit them (and in /readyz); without a listener ioredis prints each one.
  client.on('error', () => {});
  return client;
}

/** Another connection to the same Redis, for a blocking read or a subscription; never resends a command on reconnect. */
export function duplicateConnection(client: Redis): Redis {
  const duplicate = client.duplicate({
    ...FAIL_FAST,
    enableAutoPipelining: false,
    autoResendUnfulfilledCommands: false,
  });
  duplicate.on('error', () => {});
  return duplicate;
}
