import type { RunEvent, RunSnapshot } from '@chatwire/protocol';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGroq, type FakeGroq } from '../../../packages/server-kit/test/fake-groq/index.js';
import {
  nextFrame,
  openSocket,
  post,
  rawChat,
  readSse,
  textOf,
} from '../../../packages/server-kit/test/helpers/raw-modes.js';
import { startRedisServer, type TestRedis } from '../../../packages/server-kit/test/helpers/redis-server.js';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.js';

// Several reference servers (real processes) on one real redis-server, behind no balancer: each test picks the
// instance a request goes to, as nginx might.
const key = 'gsk_multi_instance_test_key';
const model = 'openai/gpt-oss-20b';
// 120 tokens, one every 25 ms: a run lasts about 3 s, long enough to act on it mid-run.
const tokens = Array.from({ length: 120 }, (_, index) => `w${index} `);
const answer = tokens.join('');
const body = JSON.stringify({ message: 'Tell me a long story', model });

type Instance = SpawnedServer;

let redis: TestRedis;
let fake: FakeGroq;
let a: Instance;
let b: Instance;
const instances: Instance[] = [];

async function startInstance(): Promise<Instance> {
  const instance = await spawnServer({
    REDIS_URL: redis.url,
    GROQ_API_KEY: key,
    GROQ_BASE_URL: fake.url,
    CHATWIRE_RUN_TTL_MS: '1500',
    CHATWIRE_SHUTDOWN_DEADLINE_MS: '0',
    CHATWIRE_MAX_RUNS_PER_PRINCIPAL: '3',
    LOG_LEVEL: 'warn',
  });
  instances.push(instance);
  return instance;
}

beforeAll(async () => {
  redis = await startRedisServer();
  fake = await startFakeGroq({ apiKey: key, tokens, delayMs: 25 });
  [a, b] = await Promise.all([startInstance(), startInstance()]);
});
afterAll(async () => {
  for (const instance of instances.splice(0)) {
    instance.child.kill('SIGKILL');
    await instance.exited;
  }
  await fake?.close();
  await redis?.stop();
});

const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;

/** Starts an SSE run on `on` and reads it until `count` tokens arrived; the stream is left open (or `abort`ed). */
async function startSseRun(on: Instance, count: number, controller = new AbortController()) {
  const response = await post(`${on.url}/api/sse/chat`, body);
  expect(response.status).toBe(200);
  const seen: RunEvent[] = [];
  let reached!: () => void;
  const ready = new Promise<void>((resolve) => (reached = resolve));
  const rest = readSse(response, (event) => {
    seen.push(event);
    if (event.seq >= count) reached();
  }).catch(() => seen);
  await ready;
  return { id: seen[0]!.id, seen, rest, controller };
}

function expectExact(events: RunEvent[]): void {
  expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index));
  expect(events.at(-1)?.type).toBe('done');
  expect(textOf(events)).toBe(answer);
}

describe('two reference servers sharing one redis-server', () => {
  it('report the store in /readyz', async () => {
    expect(await getJson(`${a.url}/readyz`)).toEqual({
      status: 'ok',
      provider: { name: 'groq', status: 'ok' },
      store: { status: 'ok' },
    });
  });

  it('a task created on A is polled to completion on B', async () => {
    const accepted = await post(`${a.url}/api/async/chat`, body);
    expect(accepted.status).toBe(202);
    const { task_id } = (await accepted.json()) as { task_id: string };
    const events: RunEvent[] = [];
    for (;;) {
      const snapshot = await getJson<RunSnapshot>(
        `${b.url}/api/async/status/${task_id}?after=${events.at(-1)?.seq ?? -1}&wait=5`,
      );
      events.push(...(snapshot.events ?? []));
      if (snapshot.status === 'completed') {
        expect(snapshot.response).toBe(answer);
        break;
      }
    }
    expectExact(events);
  });

  it('an SSE stream from A is resumed on B with Last-Event-ID, nothing lost or repeated', async () => {
    const controller = new AbortController();
    const response = await fetch(`${a.url}/api/sse/chat`, { method: 'POST', body, signal: controller.signal });
    const first = await readSse(response, (event) => event.seq >= 10);
    controller.abort();
    const last = first.at(-1)!;
    const rest = await readSse(
      await fetch(`${b.url}/api/sse/chat/${last.id}`, { headers: { 'Last-Event-ID': String(last.seq) } }),
    );
    expectExact([...first, ...rest]);
  });

  it('a WS run from A is resumed on B', async () => {
    const socketA = await openSocket(a.wsUrl);
    socketA.send(JSON.stringify({ type: 'chat', ...JSON.parse(body) }));
    const first: RunEvent[] = [];
    while (first.length < 8) first.push((await nextFrame(socketA)) as RunEvent);
    socketA.terminate();
    const socketB = await openSocket(b.wsUrl);
    socketB.send(JSON.stringify({ type: 'resume', id: first[0]!.id, after: first.at(-1)!.seq }));
    const all = [...first];
    while (all.at(-1)?.type !== 'done' && all.at(-1)?.type !== 'error')
      all.push((await nextFrame(socketB)) as RunEvent);
    socketB.close();
    expectExact(all);
  });

  it('share idempotency keys and the per-principal limit of runs in progress', async () => {
    const headers = { 'Idempotency-Key': 'multi-1' };
    const first = (await (await post(`${a.url}/api/async/chat`, body, headers)).json()) as { task_id: string };
    const again = (await (await post(`${b.url}/api/async/chat`, body, headers)).json()) as { task_id: string };
    expect(again.task_id).toBe(first.task_id);
    // The same caller (one address, no keys) has at most 3 runs in progress, counted over both instances.
    const more = await Promise.all([post(`${b.url}/api/async/chat`, body), post(`${a.url}/api/async/chat`, body)]);
    expect(more.map((response) => response.status)).toEqual([202, 202]);
    const refused = await post(`${b.url}/api/sse/chat`, body);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'rate_limited', retryable: true } });
    for (const response of more)
      await post(`${b.url}/api/runs/${((await response.json()) as { task_id: string }).task_id}/cancel`, '');
    await post(`${a.url}/api/runs/${first.task_id}/cancel`, '');
  });

  it('a cancel sent to B aborts the provider call on A', async () => {
    const run = await startSseRun(a, 5);
    const upstream = fake.requests.at(-1)!;
    const response = await post(`${b.url}/api/runs/${run.id}/cancel`, '');
    expect(await response.json()).toEqual({ id: run.id, cancelled: true, status: 'cancelled' });
    expect(await upstream.closed).toBe('aborted');
    const events = await run.rest;
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'cancelled', retryable: false });
    expect(textOf(events).length).toBeLessThan(answer.length);
  });

  it('when an instance is killed mid-run, clients on the others see a retryable interrupted within seconds', async () => {
    const c = await startInstance();
    const run = await startSseRun(c, 5);
    // Followers on B: a resumed SSE stream and a long poll.
    const resumed = readSse(await fetch(`${b.url}/api/sse/chat/${run.id}`, { headers: { 'Last-Event-ID': '5' } }));
    c.child.kill('SIGKILL');
    const killedAt = Date.now();
    instances.splice(instances.indexOf(c), 1);
    const events = await resumed;
    expect(Date.now() - killedAt).toBeLessThan(8000);
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'interrupted', retryable: true });
    const snapshot = await getJson<RunSnapshot>(`${b.url}/api/runs/${run.id}`);
    expect(snapshot).toMatchObject({ status: 'failed', error: { code: 'interrupted', retryable: true } });
    expect(snapshot.partial?.length).toBeGreaterThan(0);
  });

  it('when Redis restarts mid-run, requests fail with a clear 503, the run ends interrupted, and service resumes', async () => {
    const run = await startSseRun(a, 5);
    await redis.stop();
    // The stream on A is cut (no terminal event): the client resumes, and gets a retryable 503 while Redis is away.
    const cut = await run.rest;
    expect(['done', 'error']).not.toContain(cut.at(-1)?.type);
    const refused = await fetch(`${b.url}/api/sse/chat/${run.id}`, {
      headers: { 'Last-Event-ID': String(cut.at(-1)!.seq) },
    });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({
      error: { code: 'overloaded', retryable: true, message: 'the run store is unavailable; retry shortly' },
    });
    expect((await fetch(`${a.url}/readyz`)).status).toBe(503);
    expect((await post(`${a.url}/api/async/chat`, body)).status).toBe(503);

    await redis.restart();
    await waitUntil(
      async () => (await fetch(`${a.url}/readyz`)).status === 200 && (await fetch(`${b.url}/readyz`)).status === 200,
    );
    // Redis came back empty; A rebuilt the run's end so the client resuming after its last seq learns what happened.
    await waitUntil(async () => (await fetch(`${b.url}/api/runs/${run.id}`)).status === 200);
    const resumed = await readSse(
      await fetch(`${b.url}/api/sse/chat/${run.id}`, { headers: { 'Last-Event-ID': String(cut.at(-1)!.seq) } }),
    );
    expect(resumed.at(-1)).toMatchObject({ type: 'error', code: 'interrupted', retryable: true });
    expect(resumed.at(-1)!.seq).toBeGreaterThan(cut.at(-1)!.seq);
    // And new runs work again, in every mode, on both instances (short answers, to keep the test quick).
    for (const mode of ['polling', 'sse', 'ws', 'sync'] as const) {
      fake.script({ kind: 'stream', tokens: ['back', ' ', mode], delayMs: 0 });
      const outcome = await rawChat(mode, mode === 'sse' || mode === 'sync' ? a : b, JSON.parse(body));
      expect(outcome.ok && outcome.text).toBe(`back ${mode}`);
    }
  });

  it('leaves no keys of its runs in Redis once every run has expired', async () => {
    const admin = new Redis(redis.url);
    try {
      for (const instance of instances.splice(0)) {
        instance.child.kill('SIGTERM');
        expect(await instance.exited).toBe(0);
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const left = (await admin.keys('*')).sort();
      // Nothing of any run, idempotency key, lease or per-principal count; only the job queue's stream (empty: no job
      // waiting or taken; absent if Redis restarted and the instances stopped before their workers made it again,
      // since polling runs only go through it when an instance has no free slot) and the rate limiter's counters,
      // which expire within a minute.
      const bookkeeping: string[] = left.filter((name) => name === 'chatwire:jobs');
      expect(await admin.xlen('chatwire:jobs')).toBe(0);
      if (bookkeeping.length > 0) expect((await admin.xpending('chatwire:jobs', 'workers'))[0]).toBe(0);
      const rate = left.filter((name) => name.startsWith('chatwire:rate:'));
      expect(left.filter((name) => !bookkeeping.includes(name) && !rate.includes(name))).toEqual([]);
      for (const name of rate) expect(await admin.pttl(name)).toBeLessThanOrEqual(60_000);
    } finally {
      admin.disconnect();
    }
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve(check()).catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
