/** `ChatSession` outside components: its runes compiled as a consumer's Svelte does, effects under `$effect.root`. */
import { createChatClient, type ChatClient } from '@chatwire/client-sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Package from '../src/index.js';
import type * as Watch from './fixtures/watch.svelte.js';
import { compileSvelte } from './helpers/compile-svelte.js';
import { memoryStorage, startServer } from './helpers/start-server.js';

let server: Awaited<ReturnType<typeof startServer>>;
let compiled: Awaited<ReturnType<typeof compileSvelte>>;
let client: ChatClient;
let ChatSession: typeof Package.ChatSession;
let watch: typeof Watch.watch;

beforeAll(async () => {
  server = await startServer();
  client = createChatClient({ baseUrl: server.url });
  compiled = await compileSvelte(['src/chat-session.svelte.ts', 'src/index.ts', 'test/fixtures/watch.svelte.ts']);
  ({ ChatSession } = (await import(compiled.url('src/index.ts'))) as typeof Package);
  ({ watch } = (await import(compiled.url('test/fixtures/watch.svelte.ts'))) as typeof Watch);
});
afterAll(async () => {
  client.close();
  await server?.close();
  await compiled?.dispose();
});

/** Lets pending effects run (they are scheduled on a microtask). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const replyLongerThan = (chat: Package.ChatSession, length: number) =>
  vi.waitFor(() => expect(chat.messages.at(-1)?.content.length).toBeGreaterThan(length), { timeout: 5_000 });

describe('ChatSession (runes, outside components)', () => {
  it('an effect follows the reply: status streaming while tokens arrive, then idle with the whole answer', async () => {
    const chat = new ChatSession({ client, storage: null, mode: 'sse', model: 'sim/steady' });
    const { seen, stop } = watch(chat);
    await settle();
    expect(seen).toEqual([
      { status: 'idle', roles: '', reply: '', replyStatus: undefined, mode: 'sse', model: 'sim/steady' },
    ]);

    await chat.send('What is SSE?');
    await settle();
    stop();
    chat.destroy();

    // From the moment of sending, the status is `streaming`; the effect re-ran as tokens arrived, the reply growing.
    expect(seen[1]).toMatchObject({ status: 'streaming', roles: 'user,assistant', reply: '' });
    const replies = seen.filter((state) => state.status === 'streaming').map((state) => state.reply);
    expect(new Set(replies).size).toBeGreaterThan(3);
    expect(replies.every((reply, index) => index === 0 || reply.startsWith(replies[index - 1] as string))).toBe(true);
    const answer = await client.chat({ mode: 'sse', model: 'sim/steady', message: 'What is SSE?' }).text();
    expect(seen.at(-1)).toEqual({
      status: 'idle',
      roles: 'user,assistant',
      reply: answer,
      replyStatus: 'done',
      mode: 'sse',
      model: 'sim/steady',
    });
    expect(chat.messages.map((message) => message.content)).toEqual(['What is SSE?', answer]);
  });

  it('stop() cancels the run on the server; the reply keeps what arrived, as stopped, and status is idle again', async () => {
    const chat = new ChatSession({ client, storage: null, mode: 'ws', model: 'sim/slow' });
    const { seen, stop } = watch(chat);
    const sent = chat.send('Tell me a long story about TCP.');
    await replyLongerThan(chat, 20);
    expect(chat.status).toBe('streaming');
    await chat.stop();
    await sent;
    await settle();
    stop();
    chat.destroy();

    const reply = chat.messages.at(-1);
    expect(reply?.status).toBe('stopped');
    expect(reply?.content.length).toBeGreaterThan(20);
    expect(seen.at(-1)).toMatchObject({ status: 'idle', replyStatus: 'stopped', reply: reply?.content });
    const run = await (await fetch(`${server.url}/api/runs/${reply?.runId}`)).json();
    expect(run.status).toBe('cancelled');
  });

  it('mode and model are state: setting them re-runs effects, and the next reply uses them', async () => {
    const chat = new ChatSession({ client, storage: null });
    const { seen, stop } = watch(chat);
    await settle();
    expect(seen.at(-1)).toMatchObject({ mode: 'auto', model: undefined });

    chat.mode = 'polling';
    await settle();
    expect(seen.at(-1)).toMatchObject({ mode: 'polling', model: undefined });
    chat.model = 'sim/steady';
    await settle();
    expect(seen.at(-1)).toMatchObject({ mode: 'polling', model: 'sim/steady' });
    expect(seen).toHaveLength(3);
    const runs = server.requests.length;
    await chat.send('Hello');
    stop();
    chat.destroy();

    expect(server.requests.slice(runs).map((request) => request.model)).toEqual(['sim/steady']);
    expect(chat.messages.at(-1)).toMatchObject({ status: 'done', model: 'sim/steady', stats: { mode: 'polling' } });
  });

  it('destroy() lets go without cancelling: state stops changing, and a new ChatSession with the same id resumes the reply once', async () => {
    const storage = memoryStorage();
    const first = new ChatSession({ client, storage, id: 'destroyed', mode: 'sse', model: 'sim/slow' });
    const sent = first.send('Tell me a long story about HTTP.');
    await replyLongerThan(first, 20);
    const runs = server.requests.length;
    first.destroy();
    await sent;
    const left = first.messages;
    const writes = storage.writes;
    // The session saves a streaming reply at most every 200 ms: long enough to see it has stopped reading and saving.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(first.messages).toBe(left);
    expect(storage.writes).toBe(writes);
    await expect(first.send('Still there?')).rejects.toThrow(/destroyed/);

    const second = new ChatSession({ client, storage, id: 'destroyed', mode: 'sse' });
    expect(second.status).toBe('streaming');
    expect(second.messages.map((message) => message.id)).toEqual(left.map((message) => message.id));
    await vi.waitFor(() => expect(second.status).toBe('idle'), { timeout: 10_000 });
    second.destroy();

    const runId = left.at(-1)?.runId as string;
    const answer = await client.resume(runId, { mode: 'sse', after: -1 }).text();
    expect(second.messages.at(-1)).toMatchObject({ status: 'done', runId, content: answer });
    expect(server.requests.length).toBe(runs);
  });
});
