import type { RunEvent, RunSnapshot, ServerFrame } from '@chatwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider } from '../src/index.js';
import { nextFrame, openSocket, post, rawChat, readSse, textOf } from './helpers/raw-modes.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

const slowProfile = { tokensPerSecond: 400, firstTokenMs: { min: 5, max: 5 }, burstIntervalMs: 10 };
// A model that thinks for 3 s before its first token.
const lateProfile = { tokensPerSecond: 400, firstTokenMs: { min: 3000, max: 3000 }, burstIntervalMs: 10 };
let server: TestServer;

beforeAll(async () => {
  server = await startKit({
    provider: createSimulatedProvider({
      defaultModel: 'sim/instant',
      profiles: { 'sim/slow': slowProfile, 'sim/late': lateProfile },
    }),
  });
});
afterAll(() => server.close());

const question = { message: 'Describe reconnection strategies for streaming APIs in detail.', model: 'sim/slow' };

describe('SSE resume', () => {
  it('resumes from a Last-Event-ID in the middle of a run with exactly the missing events', async () => {
    const reference = await rawChat('sse', server, question);
    if (!reference.ok) throw new Error('reference chat failed');
    // Read a few events, then drop the connection mid-run.
    const first = await readSse(
      await post(`${server.url}/api/sse/chat`, JSON.stringify(question)),
      (event) => event.seq >= 7,
    );
    expect(first.at(-1)?.seq).toBe(7);
    const { id } = first[0] as RunEvent;
    const response = await fetch(`${server.url}/api/sse/chat/${id}`, { headers: { 'Last-Event-ID': '7' } });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const rest = await readSse(response);
    expect(rest[0]?.seq).toBe(8);
    const all = [...first, ...rest];
    expect(all.map((event) => event.seq)).toEqual(all.map((_, index) => index));
    expect(textOf(all)).toBe(reference.text);
    expect(all.at(-1)?.type).toBe('done');
  });

  it('opens a stream with nothing to send yet at once (headers before the first event), then streams on', async () => {
    // The headers go out with the first events when there are any in the turn the stream opens; when there are none
    // (a resume at the tail of a run still waiting for its model), they must still go out on their own.
    const first = await readSse(
      await post(`${server.url}/api/sse/chat`, JSON.stringify({ ...question, model: 'sim/late' })),
      (event) => event.seq >= 0,
    );
    const { id } = first[0] as RunEvent;
    const response = await fetch(`${server.url}/api/sse/chat/${id}`, { headers: { 'Last-Event-ID': '0' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    // The response opened while the model had not produced a token yet.
    const snapshot = (await (await fetch(`${server.url}/api/async/status/${id}`)).json()) as RunSnapshot;
    expect(snapshot.last_seq).toBe(0);
    const rest = await readSse(response);
    expect(rest[0]?.seq).toBe(1);
    expect(rest.at(-1)?.type).toBe('done');
  });

  it('replays a finished run from ?after= and from the start', async () => {
    const outcome = await rawChat('sse', server, { message: 'short one', model: 'sim/instant' });
    if (!outcome.ok) throw new Error('chat failed');
    const id = outcome.events[0]?.id;
    const all = await readSse(await fetch(`${server.url}/api/sse/chat/${id}`));
    expect(all).toEqual(outcome.events);
    const tail = await readSse(await fetch(`${server.url}/api/sse/chat/${id}?after=3`));
    expect(tail).toEqual(outcome.events.slice(4));
  });

  it('refuses a malformed Last-Event-ID with a JSON 400', async () => {
    const outcome = await rawChat('sse', server, { message: 'x', model: 'sim/instant' });
    if (!outcome.ok) throw new Error('chat failed');
    const response = await fetch(`${server.url}/api/sse/chat/${outcome.events[0]?.id}`, {
      headers: { 'Last-Event-ID': 'abc' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });
});

describe('polling', () => {
  it('long-polls tokens as they come with after and wait, each event exactly once', async () => {
    const created = await post(`${server.url}/api/async/chat`, JSON.stringify(question));
    expect(created.status).toBe(202);
    const { task_id, status } = (await created.json()) as { task_id: string; status: string };
    expect(status).toBe('pending');
    expect(created.headers.get('location')).toBe(`/api/async/status/${task_id}`);
    const events: RunEvent[] = [];
    const statuses = new Set<string>();
    let polls = 0;
    for (;;) {
      const after = events.at(-1)?.seq ?? -1;
      const response = await fetch(`${server.url}/api/async/status/${task_id}?after=${after}&wait=10`);
      polls++;
      const snapshot = (await response.json()) as RunSnapshot;
      statuses.add(snapshot.status);
      if (snapshot.status === 'processing') expect(response.headers.get('retry-after')).toBe('1');
      expect(snapshot.events?.[0]?.seq ?? after + 1).toBe(after + 1);
      events.push(...(snapshot.events ?? []));
      // The full text only in the first answer (after=-1): later ones carry just the new events (protocol v1 addition).
      if (after < 0) expect(snapshot.partial).toBe(textOf(events));
      else expect(snapshot).not.toHaveProperty('partial');
      if (snapshot.status === 'completed') {
        expect(snapshot.response).toBe(textOf(events));
        expect(snapshot.usage?.completion_tokens).toBe(events.filter((event) => event.type === 'token').length);
        break;
      }
    }
    // Tokens arrived while the run was going, over several polls, not only at the end.
    expect(statuses.has('processing')).toBe(true);
    expect(polls).toBeGreaterThan(2);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index));
  });

  it('without after, answers the snapshot only; rejects bad after and wait', async () => {
    const { task_id } = (await (await post(`${server.url}/api/async/chat`, JSON.stringify(question))).json()) as {
      task_id: string;
    };
    const plain = (await (await fetch(`${server.url}/api/async/status/${task_id}`)).json()) as RunSnapshot;
    expect(plain.events).toBeUndefined();
    expect(plain.task_id).toBe(task_id);
    for (const query of ['after=x', 'after=-2', 'wait=-1', 'wait=abc']) {
      const response = await fetch(`${server.url}/api/async/status/${task_id}?${query}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    await post(`${server.url}/api/runs/${task_id}/cancel`, '');
  });
});

describe('WebSocket', () => {
  it('runs two chats at once on one socket, each intact and tagged with its request_id', async () => {
    const socket = await openSocket(server.wsUrl);
    const bodies = {
      a: { message: 'What is HTTP/2?', model: 'sim/slow' },
      b: { message: 'What is QUIC? Give code.', model: 'sim/slow' },
    };
    socket.send(JSON.stringify({ type: 'chat', request_id: 'a', ...bodies.a }));
    socket.send(JSON.stringify({ type: 'chat', request_id: 'b', ...bodies.b }));
    const byRun = new Map<string, RunEvent[]>();
    const requestOf = new Map<string, string>();
    let ended = 0;
    let interleaved = false;
    let previous: string | undefined;
    while (ended < 2) {
      const frame = (await nextFrame(socket)) as ServerFrame;
      if (!('seq' in frame)) throw new Error(`unexpected frame ${JSON.stringify(frame)}`);
      if (frame.type === 'start') requestOf.set(frame.id, frame.request_id ?? '');
      if (previous !== undefined && previous !== frame.id && frame.type === 'token') interleaved = true;
      previous = frame.id;
      byRun.set(frame.id, [...(byRun.get(frame.id) ?? []), frame]);
      if (frame.type === 'done' || frame.type === 'error') ended++;
    }
    socket.close();
    expect(interleaved).toBe(true);
    expect([...requestOf.values()].sort()).toEqual(['a', 'b']);
    for (const [id, events] of byRun) {
      const tag = requestOf.get(id) as 'a' | 'b';
      const reference = await rawChat('sync', server, bodies[tag]);
      expect(reference.ok && reference.text).toBe(textOf(events));
      expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index));
    }
  });

  it('resumes on a new socket a run whose socket dropped, from the last seq it saw', async () => {
    const first = await openSocket(server.wsUrl);
    first.send(JSON.stringify({ type: 'chat', ...question }));
    const seen: RunEvent[] = [];
    while (seen.length < 6) seen.push((await nextFrame(first)) as RunEvent);
    first.terminate();
    const id = seen[0]?.id as string;
    const second = await openSocket(server.wsUrl);
    second.send(JSON.stringify({ type: 'resume', id, after: 5 }));
    const rest: RunEvent[] = [];
    for (;;) {
      const frame = (await nextFrame(second)) as RunEvent;
      rest.push(frame);
      if (frame.type === 'done' || frame.type === 'error') break;
    }
    second.close();
    const all = [...seen, ...rest];
    expect(all.map((event) => event.seq)).toEqual(all.map((_, index) => index));
    const reference = await rawChat('sync', server, question);
    expect(reference.ok && reference.text).toBe(textOf(all));
  });

  it('answers ping frames and names the problem in an error frame for unknown frame types', async () => {
    const socket = await openSocket(server.wsUrl);
    socket.send(JSON.stringify({ type: 'ping' }));
    expect(await nextFrame(socket)).toEqual({ type: 'pong' });
    socket.send(JSON.stringify({ type: 'dance' }));
    const frame = await nextFrame(socket);
    expect(frame).toMatchObject({ type: 'error', code: 'invalid_request' });
    expect((frame as { message: string }).message).toContain('type');
    socket.send(JSON.stringify({ type: 'chat', request_id: 'r9', message: 'hi', model: 'nope' }));
    expect(await nextFrame(socket)).toMatchObject({ type: 'error', code: 'invalid_model', request_id: 'r9' });
    socket.close();
  });
});
