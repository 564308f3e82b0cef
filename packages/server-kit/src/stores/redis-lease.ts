import type { Redis } from 'ioredis';
import type { RedisKeys } from './redis-keys.js';
import type { RunScript } from './redis-scripts.js';

/** Options of {@link createRedisLease}. */
export interface RedisLeaseOptions {
  client: Redis;
  run: RunScript;
  keys: RedisKeys;
  instanceId: string;
  /** How long the instance counts as alive after its last renewal; renewed every third of it. */
  leaseMs: number;
  ttlMs: number;
  activeTtlMs: number;
  maxEvents: number;
  /** The terminal event (JSON, without `id`/`seq`) given to the runs of a dead instance. */
  interruptedJson: string;
  /** Called after each renewal that reached Redis: finish what the last outage left undone. */
  onRenewed?: () => Promise<void>;
  /** Called when a renewal finds the lease had run out: other instances may have ended this one's runs. */
  onExpired?: () => void;
}

/** This process's lease in Redis and its share of the reaping. */
export interface RedisLease {
  /** Whether the last renewal reached Redis. */
  readonly healthy: boolean;
  /** Renews once now (also done on a timer). */
  renew(): Promise<void>;
  /** Stops renewing and gives the lease up (the process's runs have ended by then). */
  close(): Promise<void>;
}

/**
 * Keeps this process alive in `instances` (a sorted set of lease deadlines in Redis time) and, on the same tick, reaps:
 * the runs of any instance whose lease ran out (a SIGKILL, a crash, a lost host) end with a retryable `interrupted`
 * error, so nobody following them waits forever. With the default 3 s lease that happens within about 4 s.
 */
export function createRedisLease(options: RedisLeaseOptions): RedisLease {
  const { client, run, keys, instanceId } = options;
  let healthy = false;
  let renewed = false;
  let ticking: Promise<void> | undefined;
  let closed = false;

  async function tick(): Promise<void> {
    try {
      const alive = await run('heartbeat', keys.prefix, instanceId, options.leaseMs, options.activeTtlMs);
      // The first renewal has no lease to find; later ones find it gone or past its deadline after a long pause.
      if (alive === 0 && renewed) options.onExpired?.();
      renewed = true;
      healthy = true;
      await run('reap', keys.prefix, options.interruptedJson, options.ttlMs, options.activeTtlMs, options.maxEvents);
      await options.onRenewed?.();
    } catch {
      healthy = false;
    }
  }

  const renew = () => (ticking ??= tick().finally(() => (ticking = undefined)));
  const timer = setInterval(() => void renew(), Math.max(50, Math.floor(options.leaseMs / 3)));
  timer.unref();

  return {
    get healthy() {
      return healthy;
    },
    renew,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await ticking;
      await client
        .multi()
        .zrem(keys.instances, instanceId)
        .del(keys.instanceRuns(instanceId), keys.wake(instanceId))
        .exec()
        .catch(() => {});
    },
  };
}
