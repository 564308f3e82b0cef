import type { RunEvent, RunSnapshot } from '@chatwire/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider, type ChatKitOptions } from '../src/index.js';
import { createRedisBackend, type RedisBackendOptions } from '../src/redis.js';
import { observeProvider, type ObservedProvider } from './helpers/observed-provider.js';
import { post, rawChat, readSse, textOf } from './helpers/raw-modes.js';
import { startRedisServer, type TestRedis } from './helpers/redis-server.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

// Two kits in one process, each with its own provider, store connections, workers and limits: two instances.
const slow = { tokensPerSecond: 60, firstTokenMs: { min: 5, max: 5 }, burstIntervalMs: 20 };
const slowBody = JSON.stringify({ message: 'Explain TCP congestion control in detail.', model: 'sim/slow' });

let redis: TestRedis;
let prefixCount = 0;
const kits: TestServer[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());
afterEach(async () => {
  await Promise.all(kits.splice(0).map((kit) => kit.close()));
});

interface Instance extends TestServer {
  provider: ObservedProvider;
}

/** Starts `count` kits sharing one Redis (and a prefix of their own, so tests do not share runs or limits). */
async function instances(
  count: number,
  backend: Partial<RedisBackendOptions> = {},
  options: ChatKitOptions = {},
): Promise<Instance[]> {
  const prefix = `k${++prefixCount}:`;
  const started: Instance[] = [];
  for (let index = 0; index < count; index++) {
    const provider = observeProvider(
      createSimulatedProvider({ defaultModel: 'sim/instant', profiles: { 'sim/slow': slow } }),
    );
    const shared = createRedisBackend({ url: redis.url, prefix, ...backend });
    const kit = await startKit({
      provider,
      ...shared,
      ...options,
      runLimits: { ...shared.runLimits, ...options.runLimits },
    });
    kits.push(kit);
    started.push({ ...kit, provider });
  }
  return started;
}

/** Starts `count` polling runs on `server`, one after the other, and returns their ids. */
async function startTasks(server: TestServer, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const accepted = await post(
      `${server.url}/api/async/chat`,
      JSON.stringify({ message: `question ${index}`, model: 'sim/slow' }),
    );
    expect(accepted.status).toBe(202);
    ids.push(((await accepted.json()) as { task_id: string }).task_id);
  }
  return ids;
}

async function snapshot(server: TestServer, id: string, query = ''): Promise<RunSnapshot> {
  return (await (await fetch(`${server.url}/api/runs/${id}${query}`)).json()) as RunSnapshot;
}

describe('several instances on one Redis (in one process)', () => {
  it('hands polling runs to whichever instance has a free worker, at most its concurrency at once', async () => {
    const [a, b] = await instances(2, { queueConcurrency: 1 });
    const ids = await startTasks(a!, 3);
    // Two workers of one job each: two runs flow, one per instance, and the third waits in the queue.
    await waitUntil(
      async () =>
        (await Promise.all(ids.map((id) => snapshot(b!, id)))).filter((run) => run.status === 'processing').length ===
        2,
    );
    expect(a!.provider.calls).toHaveLength(1);
    expect(b!.provider.calls).toHaveLength(1);
    const statuses = (await Promise.all(ids.map((id) => snapshot(a!, id)))).map((run) => run.status);
    expect(statuses.filter((status) => status === 'pending')).toHaveLength(1);
    // Every run completes, polled from either instance.
    for (const id of ids) {
      let run = await snapshot(b!, id, '?wait=10');
      while (run.status === 'pending' || run.status === 'processing')
        run = await snapshot(a!, id, `?after=${run.last_seq}&wait=10`);
      expect(run.status).toBe('completed');
    }
    expect(a!.provider.calls.length + b!.provider.calls.length).toBe(3);
  });

  it('drives a polling run on the instance that accepted it while that one has a free worker slot', async () => {
    const [a, b] = await instances(2, { queueConcurrency: 10 });
    const ids = await startTasks(a!, 6);
    // b's worker is idle and waiting on the queue, yet no run reaches it: none was queued.
    for (const id of ids) {
      let run = await snapshot(b!, id, '?wait=10');
      while (run.status === 'pending' || run.status === 'processing')
        run = await snapshot(b!, id, `?after=${run.last_seq}&wait=10`);
      expect(run.status).toBe('completed');
    }
    expect(a!.provider.calls).toHaveLength(6);
    expect(b!.provider.calls).toHaveLength(0);
  });

  it('shares idempotency keys: a retry on another instance attaches to the same run', async () => {
    const [a, b] = await instances(2);
    const body = { message: 'Same question, asked twice' };
    const first = await rawChat('sse', a!, body, { 'Idempotency-Key': 'k-1' });
    const second = await rawChat('sync', b!, body, { 'Idempotency-Key': 'k-1' });
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(second.events[0]?.id).toBe(first.events[0]?.id);
    expect(second.text).toBe(first.text);
    expect(a!.provider.calls.length + b!.provider.calls.length).toBe(1);
    const conflict = await rawChat('polling', b!, { message: 'another body' }, { 'Idempotency-Key': 'k-1' });
    expect(conflict).toMatchObject({ ok: false, status: 422, error: { code: 'idempotency_conflict' } });
  });

  it('counts runs in progress per principal across instances', async () => {
    const [a, b] = await instances(2, {}, { runLimits: { maxConcurrentRunsPerPrincipal: 2 } });
    const tasks = await Promise.all([
      post(`${a!.url}/api/async/chat`, slowBody),
      post(`${b!.url}/api/async/chat`, slowBody),
    ]);
    expect(tasks.map((response) => response.status)).toEqual([202, 202]);
    const refused = await post(`${b!.url}/api/sse/chat`, slowBody);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'rate_limited', retryable: true } });
    // Once those runs end (cancelled here, from the other instance), the slots are free again.
    for (const task of tasks)
      await post(`${a!.url}/api/runs/${((await task.json()) as { task_id: string }).task_id}/cancel`, '');
    expect((await rawChat('sync', b!, { message: 'now it fits' })).ok).toBe(true);
  });

  it('counts run creations per minute across instances', async () => {
    const [a, b] = await instances(2, { runsPerMinute: 3 });
    const statuses: number[] = [];
    for (const server of [a, b, a, b])
      statuses.push((await post(`${server!.url}/api/sync/chat`, JSON.stringify({ message: 'hi' }))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('cancels a run once its readers on one instance, however many, have all left', async () => {
    const [a, b] = await instances(2, {}, { disconnectGraceMs: 300 });
    const first = new AbortController();
    const response = await fetch(`${a!.url}/api/sse/chat`, { method: 'POST', body: slowBody, signal: first.signal });
    const seen = await readSse(response, (event) => event.seq >= 1);
    const id = seen[0]!.id;
    // A second reader of the same run on the same instance (the first is still reading).
    const second = new AbortController();
    const reading = fetch(`${a!.url}/api/sse/chat/${id}`, {
      headers: { 'Last-Event-ID': String(seen.at(-1)!.seq) },
      signal: second.signal,
    })
      .then((stream) => readSse(stream, (event) => event.seq >= seen.at(-1)!.seq + 3))
      .catch(() => []);
    expect((await reading).length).toBeGreaterThan(0);
    const aborted = a!.provider.nextAbort();
    first.abort();
    second.abort();
    await aborted;
    await waitUntil(async () => (await snapshot(b!, id)).status === 'cancelled');
  });

  it('keeps a run resumed on another instance going past the grace period, and cancels it once nobody reads it', async () => {
    const [a, b] = await instances(2, {}, { disconnectGraceMs: 300 });
    const controller = new AbortController();
    const response = await fetch(`${a!.url}/api/sse/chat`, {
      method: 'POST',
      body: slowBody,
      signal: controller.signal,
    });
    const seen = await readSse(response, (event) => event.seq >= 3);
    controller.abort();
    const id = seen[0]!.id;
    // Resumed on B at once; A's grace period runs out while B still reads: the run must go on.
    const resumed = new AbortController();
    const rest: RunEvent[] = [];
    const reading = fetch(`${b!.url}/api/sse/chat/${id}`, {
      headers: { 'Last-Event-ID': String(seen.at(-1)!.seq) },
      signal: resumed.signal,
    })
      .then((stream) => readSse(stream, (event) => void rest.push(event)))
      .catch(() => rest);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(a!.provider.aborts).toHaveLength(0);
    expect(rest.length).toBeGreaterThan(10);
    // Now the last reader (on B) leaves: the run is cancelled upstream on A after the grace period.
    const aborted = a!.provider.nextAbort();
    resumed.abort();
    await reading;
    await aborted;
    await waitUntil(async () => (await snapshot(b!, id)).status === 'cancelled');
    expect(textOf([...seen, ...rest]).length).toBeGreaterThan(0);
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
