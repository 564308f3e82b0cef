import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisConnection } from '../src/stores/redis-connection.js';
import { startRedisServer, type TestRedis } from './helpers/redis-server.js';

// The store's connection writes the commands of one event-loop turn as one write, through a real redis-server.
let redis: TestRedis;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});
afterAll(async () => {
  await redis.stop();
});

/** Counts the writes that reach the socket's handle (one `_write` or `_writev` each), whatever was buffered into them. */
function countWrites(socket: Socket): () => number {
  let writes = 0;
  const target = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  for (const name of ['_write', '_writev'] as const) {
    const original = target[name];
    target[name] = function (this: Socket, ...args: unknown[]) {
      writes++;
      return original.apply(this, args);
    };
  }
  return () => writes;
}

describe('redis connection', () => {
  it('writes the commands of one turn as one write, and answers each of them', async () => {
    const client = createRedisConnection(redis.url);
    clients.push(client);
    await client.ping();
    const writes = countWrites(client.stream as Socket);
    const keys = Array.from({ length: 20 }, (_, index) => `turn:${index}`);
    // Twenty commands in one turn, the last of them from a promise reaction of that turn: one write.
    const sets = keys.map((key, index) => client.set(key, String(index)));
    const late = Promise.resolve().then(() => client.incr('turn:count'));
    await Promise.all([...sets, late]);
    expect(writes()).toBe(1);
    // The next turn's commands are a write of their own, and every reply reaches its command.
    expect(await client.mget(...keys)).toEqual(keys.map((_, index) => String(index)));
    expect(writes()).toBe(2);
    expect(await Promise.all([client.get('turn:3'), client.incr('turn:count'), client.get('turn:19')])).toEqual([
      '3',
      2,
      '19',
    ]);
    expect(writes()).toBe(3);
  });

  it('still writes once a reconnection has replaced its socket', async () => {
    const client = createRedisConnection(redis.url);
    clients.push(client);
    await client.ping();
    const first = client.stream as Socket;
    first.destroy();
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
    expect(client.stream).not.toBe(first);
    const writes = countWrites(client.stream as Socket);
    expect(await Promise.all([client.set('again', '1'), client.get('again')])).toEqual(['OK', '1']);
    expect(writes()).toBe(1);
  });
});
