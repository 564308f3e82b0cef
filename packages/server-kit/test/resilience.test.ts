import { MODES, type RunEvent } from '@chatwire/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulatedProvider, type ChatKitOptions } from '../src/index.js';
import { observeProvider, type ObservedProvider } from './helpers/observed-provider.js';
import { nextFrame, openSocket, post, rawChat, readSse, textOf } from './helpers/raw-modes.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

const slow = { tokensPerSecond: 100, firstTokenMs: { min: 5, max: 5 }, burstIntervalMs: 10 };
let server: TestServer | undefined;
let provider: ObservedProvider;

async function start(options: ChatKitOptions = {}): Promise<TestServer> {
  provider = observeProvider(createSimulatedProvider({ defaultModel: 'sim/instant', profiles: { 'sim/slow': slow } }));
  server = await startKit({ provider, ...options });
  return server;
}
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const slowBody = JSON.stringify({ message: 'Explain TCP slow start in detail.', model: 'sim/slow' });

describe('disconnect policy', () => {
  it('aborts the provider within 100 ms of the end of the grace period when nobody re-attaches', async () => {
    const { url } = await start({ disconnectGraceMs: 300 });
    const controller = new AbortController();
    const response = await fetch(`${url}/api/sse/chat`, { method: 'POST', body: slowBody, signal: controller.signal });
    await readSse(response, (event) => event.seq >= 3);
    const aborted = provider.nextAbort();
    const left = performance.now();
    controller.abort();
    const seen = await aborted;
    expect(seen - left).toBeGreaterThanOrEqual(280);
    expect(seen - left).toBeLessThan(300 + 100);
  });

  it('keeps the run going through the grace period so another mode can pick it up', async () => {
    const { url, wsUrl } = await start({ disconnectGraceMs: 1000 });
    const socket = await openSocket(wsUrl);
    socket.send(JSON.stringify({ type: 'chat', ...JSON.parse(slowBody) }));
    const seen: RunEvent[] = [];
    while (seen.length < 5) seen.push((await nextFrame(socket)) as RunEvent);
    socket.terminate();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Continue over SSE from the last seq the socket delivered, then check by polling.
    const id = seen[0]?.id as string;
    const rest = await readSse(await fetch(`${url}/api/sse/chat/${id}`, { headers: { 'Last-Event-ID': '4' } }));
    const all = [...seen, ...rest];
    expect(all.map((event) => event.seq)).toEqual(all.map((_, index) => index));
    expect(all.at(-1)?.type).toBe('done');
    const snapshot = await (await fetch(`${url}/api/async/status/${id}?after=-1`)).json();
    expect(snapshot.response).toBe(textOf(all));
    expect(provider.aborts).toHaveLength(0);
  });

  it('aborts the provider within 100 ms of an explicit cancel', async () => {
    const { url } = await start();
    const { task_id } = await (await post(`${url}/api/async/chat`, slowBody)).json();
    await (await fetch(`${url}/api/async/status/${task_id}?after=0&wait=5`)).json();
    const aborted = provider.nextAbort();
    const sent = performance.now();
    await post(`${url}/api/runs/${task_id}/cancel`, '');
    expect((await aborted) - sent).toBeLessThan(100);
  });
});

describe('idempotency keys', () => {
  it.each(MODES)('a retried create in %s attaches to the same run instead of starting another', async (mode) => {
    const target = await start();
    const body = { message: 'Idempotent question about HTTP' };
    const first = await rawChat(mode, target, body, { 'Idempotency-Key': `key-${mode}` });
    const second = await rawChat(mode, target, body, { 'Idempotency-Key': `key-${mode}` });
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(second.events[0]?.id).toBe(first.events[0]?.id);
    expect(second.text).toBe(first.text);
    expect(provider.calls).toHaveLength(1);
  });

  it.each(MODES)('the same key with another body is refused with idempotency_conflict in %s', async (mode) => {
    const target = await start();
    await rawChat(mode, target, { message: 'one' }, { 'Idempotency-Key': 'shared' });
    const other = await rawChat(mode, target, { message: 'two' }, { 'Idempotency-Key': 'shared' });
    expect(other).toMatchObject({ ok: false, error: { code: 'idempotency_conflict' } });
    if (mode !== 'ws') expect(other.ok === false && other.status).toBe(422);
  });
});

describe('limits', () => {
  it('caps concurrent runs per principal: 429 with Retry-After over HTTP, retry_after_ms on WS', async () => {
    const { url, wsUrl } = await start({ runLimits: { maxConcurrentRunsPerPrincipal: 2 } });
    const tasks = await Promise.all([post(`${url}/api/async/chat`, slowBody), post(`${url}/api/async/chat`, slowBody)]);
    expect(tasks.map((response) => response.status)).toEqual([202, 202]);
    const refused = await post(`${url}/api/sse/chat`, slowBody);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ error: { code: 'rate_limited', retryable: true } });
    const socket = await openSocket(wsUrl);
    socket.send(JSON.stringify({ type: 'chat', request_id: 'r', ...JSON.parse(slowBody) }));
    expect(await nextFrame(socket)).toMatchObject({
      type: 'error',
      code: 'rate_limited',
      request_id: 'r',
      retry_after_ms: 1000,
    });
    socket.close();
    // Reads of one's own runs are not throttled.
    const { task_id } = await tasks[0]!.json();
    for (let index = 0; index < 20; index++) expect((await fetch(`${url}/api/runs/${task_id}`)).status).toBe(200);
  });

  it('caps run creations per minute but not polls', async () => {
    const { url } = await start({ runLimits: { runsPerMinute: 3 } });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let index = 0; index < 4; index++) {
      last = await post(`${url}/api/sync/chat`, JSON.stringify({ message: `q${index}` }));
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(1);
    expect((await fetch(`${url}/api/models`)).status).toBe(200);
  });

  it('charges no run creation to a principal for runs refused because too many were in progress', async () => {
    const { url } = await start({ runLimits: { runsPerMinute: 3, maxConcurrentRunsPerPrincipal: 1 } });
    const task = await post(`${url}/api/async/chat`, slowBody);
    expect(task.status).toBe(202);
    const { task_id } = (await task.json()) as { task_id: string };
    for (let index = 0; index < 5; index++) {
      const refused = await post(`${url}/api/sync/chat`, JSON.stringify({ message: `q${index}` }));
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/in progress/);
    }
    expect((await post(`${url}/api/runs/${task_id}/cancel`, '{}')).status).toBe(200);
    // Two of the three creations a minute are left, whatever was refused meanwhile.
    const statuses: number[] = [];
    for (let index = 0; index < 3; index++) {
      const response = await post(`${url}/api/sync/chat`, JSON.stringify({ message: `again ${index}` }));
      statuses.push(response.status);
      if (response.status === 429) {
        expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/slow down/);
      }
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('answers 503 overloaded with Retry-After past the global cap', async () => {
    const { url } = await start({ runLimits: { maxConcurrentRuns: 1 } });
    expect((await post(`${url}/api/async/chat`, slowBody)).status).toBe(202);
    const refused = await post(`${url}/api/sync/chat`, slowBody, { 'x-forwarded-for': '10.0.0.9' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: { code: 'overloaded', retryable: true } });
  });
});

describe('shutdown', () => {
  it('lets runs finish until the deadline, then ends them with a retryable interrupted event', async () => {
    const target = await start();
    const stream = post(`${target.url}/api/sse/chat`, slowBody).then((response) => readSse(response));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = target.kit.close({ deadlineMs: 200 });
    const events = await stream;
    await closing;
    server = undefined;
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'interrupted', retryable: true });
    expect(textOf(events).length).toBeGreaterThan(0);
  });
});
