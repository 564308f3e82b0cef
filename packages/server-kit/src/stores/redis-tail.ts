import type { Redis } from 'ioredis';
import { awaitBlocking } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';

interface Watch {
  /** Highest seq known to exist in the run's stream; the blocking read asks for entries after it. */
  cursor: number;
  /** Each waiter's resolve function and the newest seq it already knows of. */
  waiters: Map<() => void, number>;
}

/** Options of {@link createRedisTail}. */
export interface RedisTailOptions {
  /**
   * Opens a connection of the tail's own: it spends its life in blocking reads. Called again when a read was given
   * up on a connection that dropped.
   */
  connect: () => Redis;
  /** Any other connection, to write the wake stream while the read blocks. */
  writer: Redis;
  keys: RedisKeys;
  instanceId: string;
  /** Longest single blocking read (default 5 s). */
  blockMs?: number;
  /** Called with the newest seq the read found in a watched run's stream, before that run's waiters wake. */
  onEntry?: (id: string, seq: number) => void;
}

/**
 * Follows runs' event streams for this process with one `XREAD BLOCK` over every stream a local reader waits on, so a
 * thousand followers cost one Redis connection, not a thousand. A new stream to watch restarts the read by writing to
 * the process's own wake stream. A new entry wakes the waiters of its run that did not know of it yet.
 */
export interface RedisTail {
  /** Resolves on the next entry after `knownSeq` in run `id`'s stream, after `timeoutMs`, or when `signal` aborts. */
  wait(id: string, knownSeq: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** This process appended `seq` itself: wake local waiters now instead of after a round trip. */
  notify(id: string, seq: number): void;
  close(): Promise<void>;
}

/** Starts the tail's read loop. */
export function createRedisTail(options: RedisTailOptions): RedisTail {
  const { writer, keys } = options;
  let connection: Redis | undefined;
  const blockMs = options.blockMs ?? 5000;
  const wakeKey = keys.wake(options.instanceId);
  const watches = new Map<string, Watch>();
  // Wake entries get ids 0-1, 0-2, ...: a read issued after poke n-1 sees poke n whenever it lands.
  let pokes = 0;
  let reading = false;
  let poked = false;
  let closed = false;
  let idle: (() => void) | undefined;
  let stopReading: (() => void) | undefined;

  const wake = (watch: Watch, seq = Number.POSITIVE_INFINITY) => {
    for (const [resolve, known] of [...watch.waiters]) if (known < seq) resolve();
  };

  function poke(): void {
    if (idle) return idle();
    if (!reading || poked) return;
    poked = true;
    pokes += 1;
    writer
      .multi()
      .xadd(wakeKey, 'MAXLEN', '1', `0-${pokes}`, 'w', '1')
      .pexpire(wakeKey, 60_000)
      .exec()
      .catch(() => {});
  }

  async function loop(): Promise<void> {
    while (!closed) {
      if (watches.size === 0) {
        await new Promise<void>((resolve) => (idle = resolve));
        idle = undefined;
        continue;
      }
      const ids = [...watches.keys()];
      const streams = [wakeKey, ...ids.map((id) => keys.events(id))];
      const from = [`0-${pokes}`, ...ids.map((id) => `0-${(watches.get(id)?.cursor ?? -1) + 1}`)];
      reading = true;
      poked = false;
      let result: Array<[string, Array<[string, string[]]>]> | null;
      try {
        result = await read(streams, from);
      } catch {
        reading = false;
        // Redis is unreachable: let every waiter re-read (and see the error), then try again shortly.
        for (const watch of watches.values()) wake(watch);
        if (!closed) await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      reading = false;
      for (const [stream, entries] of result ?? []) {
        const last = entries.at(-1);
        if (!last || stream === wakeKey) continue;
        const id = ids[streams.indexOf(stream) - 1] ?? '';
        const watch = watches.get(id);
        if (!watch) continue;
        const seq = Number(last[0].split('-')[1]) - 1;
        watch.cursor = Math.max(watch.cursor, seq);
        options.onEntry?.(id, seq);
        wake(watch, seq);
      }
    }
  }

  /** One blocking read; one given up (see {@link awaitBlocking}) fails, so every waiter re-reads. */
  async function read(streams: string[], from: string[]): Promise<Array<[string, Array<[string, string[]]>]> | null> {
    const current = (connection ??= options.connect());
    const reply = current.xread('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', ...streams, ...from) as Promise<Array<
      [string, Array<[string, string[]]>]
    > | null>;
    const answer = await awaitBlocking(current, reply, blockMs + 2000, (stop) => (stopReading = stop));
    if (answer !== undefined) return answer;
    if (connection === current) connection = undefined;
    throw new Error('the blocking read was given up');
  }

  const running = loop();

  return {
    wait(id, knownSeq, timeoutMs, signal) {
      if (closed || signal?.aborted || timeoutMs <= 0) return Promise.resolve();
      let watch = watches.get(id);
      if (watch && watch.cursor > knownSeq) return Promise.resolve();
      if (watch) {
        // knownSeq exists: the next read may start there (the one in flight may still wake us once, harmlessly).
        watch.cursor = knownSeq;
      } else {
        watch = { cursor: knownSeq, waiters: new Map() };
        watches.set(id, watch);
        poke();
      }
      const current = watch;
      return new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', finish);
          current.waiters.delete(finish);
          if (current.waiters.size === 0 && watches.get(id) === current) watches.delete(id);
          resolve();
        };
        const timer = setTimeout(finish, timeoutMs);
        signal?.addEventListener('abort', finish, { once: true });
        current.waiters.set(finish, knownSeq);
      });
    },
    notify(id, seq) {
      const watch = watches.get(id);
      if (!watch) return;
      watch.cursor = Math.max(watch.cursor, seq);
      wake(watch, seq);
    },
    async close() {
      closed = true;
      for (const watch of watches.values()) wake(watch);
      idle?.();
      stopReading?.();
      connection?.disconnect();
      await running.catch(() => {});
    },
  };
}
