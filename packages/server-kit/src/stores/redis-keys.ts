import { ChatError } from '../chat-error.js';

/**
 * Every Redis key and channel the Redis store, its leases and the shared run limits use, under one prefix (default
 * `chatwire:`). A run's keys share the hash tag `{id}`. The scripts also derive a few keys from stored fields, so the
 * store needs a single Redis (standalone or Sentinel), not Redis Cluster.
 */
export interface RedisKeys {
  readonly prefix: string;
  /** Hash: `info` (RunInfo JSON), `status`, `last_seq`, `ended`, `terminal`, `driver`, `cancel`, `idem`, `followers`. */
  meta(id: string): string;
  /** Stream of the run's events; entry id `0-(seq+1)`, field `e` the event JSON. */
  events(id: string): string;
  /** The concatenated token text (`partial`), grown with APPEND. */
  text(id: string): string;
  /** `{runId, fingerprint}` JSON of an idempotency key (already scoped to its principal). */
  idempotency(key: string): string;
  /** Sorted set: instance id → lease deadline (Redis time, ms). */
  readonly instances: string;
  /** Set of the runs an instance writes. */
  instanceRuns(instanceId: string): string;
  /** Stream an instance writes to itself to restart its blocking XREAD. */
  wake(instanceId: string): string;
  /** Sorted set of a rate key's runs in progress (run id → admission time). */
  active(rateKey: string): string;
  /** Rate limiter keys (rate-limiter-flexible's `keyPrefix`). */
  readonly rate: string;
  /** Pub/sub channel carrying cancel requests (message: the run id). */
  readonly cancel: string;
}

/** The key scheme for `prefix`. */
export function createRedisKeys(prefix = 'chatwire:'): RedisKeys {
  return {
    prefix,
    meta: (id) => `${prefix}run:{${id}}`,
    events: (id) => `${prefix}run:{${id}}:events`,
    text: (id) => `${prefix}run:{${id}}:text`,
    idempotency: (key) => `${prefix}idem:${key}`,
    instances: `${prefix}instances`,
    instanceRuns: (instanceId) => `${prefix}instance:${instanceId}:runs`,
    wake: (instanceId) => `${prefix}instance:${instanceId}:wake`,
    active: (rateKey) => `${prefix}active:${rateKey}`,
    rate: `${prefix}rate`,
    cancel: `${prefix}cancel`,
  };
}

/**
 * Turns a Redis failure (connection lost, Redis restarting) into the error clients see: `503 overloaded`, retryable,
 * with a message that says what is wrong without internals. ChatErrors pass through.
 */
export function storeUnavailable(error: unknown): ChatError {
  if (error instanceof ChatError) return error;
  return new ChatError('overloaded', 'the run store is unavailable; retry shortly', {
    retryAfterMs: 1000,
    cause: error,
  });
}
