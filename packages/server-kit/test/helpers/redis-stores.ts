import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createRedisRunStore, type RedisRunStore, type RedisRunStoreOptions } from '../../src/redis.js';
import { startRedisServer, type TestRedis } from './redis-server.js';
import { info, start } from './run-events.js';

/** A real redis-server for a test file, and Redis run stores on it ("instances") closed after each test. */
export interface RedisStores {
  readonly redis: TestRedis;
  /** A connection of the test's own, to look at or change what the stores wrote. */
  readonly admin: Redis;
  /** The stores closed after the current test (a test that closes one itself takes it out). */
  readonly stores: RedisRunStore[];
  /** The key prefix of the current test (see {@link RedisStores.fresh}). */
  readonly prefix: string;
  /** A store with its own connections, on the current prefix. */
  open(options?: Partial<RedisRunStoreOptions>): RedisRunStore;
  /** A new prefix: the stores opened next share nothing with earlier tests'. */
  fresh(): void;
  /** Creates run `id` with its start event and claims it on `store`. */
  begin(store: RedisRunStore, id: string): Promise<void>;
}

/** Starts redis-server before the file's tests and stops it after; call at the top of a test file. */
export function useRedisStores(prefixBase: string): RedisStores {
  let redis: TestRedis | undefined;
  let admin: Redis | undefined;
  const stores: RedisRunStore[] = [];
  let prefixCount = 0;
  let prefix = '';
  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('redis-server is started in beforeAll');
    return value;
  };
  return {
    get redis() {
      return started(redis);
    },
    get admin() {
      return started(admin);
    },
    stores,
    get prefix() {
      return prefix;
    },
    open(options = {}) {
      const store = createRedisRunStore({ url: started(redis).url, prefix, ...options });
      stores.push(store);
      return store;
    },
    fresh() {
      prefix = `${prefixBase}${++prefixCount}:`;
    },
    async begin(store, id) {
      expect(await store.create(info(id))).toEqual({ created: true });
      await store.append(start(id));
      expect(await store.claim(id)).toBe(true);
    },
  };
}
