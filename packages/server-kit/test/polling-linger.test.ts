/** The long poll's batching window and the lighter incremental answers (protocol v1 additions). */
import type { RunEvent, RunSnapshot } from '@chatwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider } from '../src/index.js';
import { post } from './helpers/raw-modes.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

// About 300 tokens in bursts every 20 ms for two seconds: a poll per burst would be ~100 requests.
const steady = { tokensPerSecond: 150, firstTokenMs: { min: 50, max: 50 }, burstIntervalMs: 20 };
let server: TestServer;
beforeAll(async () => {
  server = await startKit({
    provider: createSimulatedProvider({ defaultModel: 'sim/steady', profiles: { 'sim/steady': steady } }),
  });
});
afterAll(() => server.close());

/** Polls a new run to its end as the SDK does (after the last seq, wait 20 s), with `query` added to each poll. */
async function pollToEnd(query = '') {
  const created = await post(`${server.url}/api/async/chat`, JSON.stringify({ message: 'Explain long polling.' }));
  const { task_id } = (await created.json()) as { task_id: string };
  const answers: RunSnapshot[] = [];
  let after = -1;
  for (;;) {
    const response = await fetch(`${server.url}/api/async/status/${task_id}?after=${after}&wait=20${query}`);
    const snapshot = (await response.json()) as RunSnapshot;
    answers.push(snapshot);
    after = snapshot.events?.at(-1)?.seq ?? after;
    if (snapshot.events?.some((event) => event.type === 'done' || event.type === 'error')) break;
  }
  const events = answers.flatMap((answer) => answer.events ?? []) as RunEvent[];
  return { task_id, answers, events };
}

describe('long polling', () => {
  it('batches a streaming answer into a handful of polls, every event exactly once', async () => {
    const { answers, events } = await pollToEnd();
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index));
    const tokens = events.filter((event) => event.type === 'token').length;
    expect(tokens).toBeGreaterThan(200);
    // One poll per 150 ms window over ~2 s, plus the first ones: far fewer than one per 20 ms burst.
    expect(answers.length).toBeLessThan(30);
  });

  it('answers at once when the client asks for no window (linger=0): one poll per burst or so', async () => {
    const batched = await pollToEnd();
    const eager = await pollToEnd('&linger=0');
    expect(eager.events.map((event) => event.seq)).toEqual(eager.events.map((_, index) => index));
    expect(eager.answers.length).toBeGreaterThan(batched.answers.length * 2);
  });

  it('leaves partial out of answers to after >= 0, and keeps it in the full snapshot', async () => {
    const { task_id, answers } = await pollToEnd();
    expect(answers[0]).toHaveProperty('partial');
    for (const answer of answers.slice(1)) expect(answer).not.toHaveProperty('partial');
    const full = (await (await fetch(`${server.url}/api/async/status/${task_id}`)).json()) as RunSnapshot;
    expect(full.partial?.length).toBeGreaterThan(100);
    expect(full.partial).toBe(full.response);
  });

  it('refuses a linger that is not milliseconds', async () => {
    const { task_id } = await pollToEnd();
    const response = await fetch(`${server.url}/api/async/status/${task_id}?after=1&linger=soon`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });
});
