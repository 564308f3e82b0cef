/** `createChatSession` against a real server: the conversation a chat UI keeps, and a reply that survives a reload. */
import { createSimulatedProvider, type ProviderRequest } from '@chatwire/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatClient, type ChatClient } from '../src/index.js';
import { createChatSession, type ChatSession, type ChatSessionState } from '../src/session.js';
import { startServer, type TestServer } from './helpers/start-server.js';

// ~300 tokens at 150 tokens/s: about two seconds of streaming, time enough to stop or "reload" mid-answer.
const slow = { tokensPerSecond: 150, firstTokenMs: { min: 20, max: 20 }, burstIntervalMs: 20 };
const requests: ProviderRequest[] = [];
let failNext = false;
let server: TestServer;
let client: ChatClient;

beforeAll(async () => {
  const provider = createSimulatedProvider({
    defaultModel: 'sim/instant',
    profiles: { 'sim/slow': slow },
    faults: (request) => {
      requests.push(request);
      if (!failNext) return undefined;
      failNext = false;
      return { failAfterTokens: 3 };
    },
  });
  server = await startServer({ provider, runLimits: { runsPerMinute: 100_000 } });
  client = createChatClient({ baseUrl: server.url });
});
afterAll(async () => {
  client.close();
  await server.close();
});

/** A Map behind the Storage methods a session uses, standing in for a tab's sessionStorage across a reload. */
function memoryStorage() {
  const values = new Map<string, string>();
  return {
    values,
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
    removeItem: (key: string) => void values.delete(key),
  };
}

function untilState(session: ChatSession, check: (state: ChatSessionState) => boolean): Promise<ChatSessionState> {
  return new Promise((resolve) => {
    const stop = session.subscribe((state) => {
      if (!check(state)) return;
      // The first call comes from inside subscribe(), before `stop` exists.
      queueMicrotask(() => stop());
      resolve(state);
    });
  });
}

async function fullAnswer(messages: Array<{ role: 'user' | 'assistant' | 'system'; content: string }>, model?: string) {
  return client.chat({ mode: 'sse', messages, ...(model ? { model } : {}) }).text();
}

describe('a chat session', () => {
  it('sends the conversation history with every message and keeps replies in order', async () => {
    const session = createChatSession({ client, storage: null, system: 'Be brief.' });
    const states: string[] = [];
    session.subscribe((state) => states.push(state.status));
    await session.send('What is SSE?');
    await session.send('And WebSockets?');
    expect(session.status).toBe('idle');
    expect(session.messages.map((message) => [message.role, message.status])).toEqual([
      ['user', 'done'],
      ['assistant', 'done'],
      ['user', 'done'],
      ['assistant', 'done'],
    ]);
    const last = requests.at(-1);
    expect(last?.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(last?.messages[2]?.content).toBe(session.messages[1]?.content);
    expect(session.messages[3]?.content).toBe(
      await fullAnswer(last?.messages as Array<{ role: 'user' | 'assistant' | 'system'; content: string }>),
    );
    expect(session.messages[3]?.runId).toMatch(/\w+/);
    expect(session.messages[3]?.stats?.mode).toBe('ws');
    expect(states).toContain('streaming');
  });

  it('stops a streaming reply and cancels its run on the server', async () => {
    const session = createChatSession({ client, storage: null, model: 'sim/slow' });
    const sent = session.send('Tell me a long story about TCP.');
    // Streaming from the call on, before any event arrived: a Send button bound to status is disabled at once.
    expect(session.status).toBe('streaming');
    expect(session.messages.at(-1)?.status).toBe('streaming');
    await untilState(session, (state) => (state.messages.at(-1)?.content.length ?? 0) > 20);
    await session.stop();
    await sent;
    const reply = session.messages.at(-1);
    expect(reply?.status).toBe('stopped');
    expect(reply?.content.length).toBeGreaterThan(20);
    const run = await (await fetch(`${server.url}/api/runs/${reply?.runId}`)).json();
    expect(run.status).toBe('cancelled');
    expect(session.status).toBe('idle');
  });

  it('regenerates the last reply and edits an earlier message, dropping what followed it', async () => {
    const session = createChatSession({ client, storage: null });
    await session.send('First question');
    await session.send('Second question');
    const before = session.messages.map((message) => message.id);
    await session.regenerate();
    expect(session.messages).toHaveLength(4);
    expect(session.messages[3]?.id).not.toBe(before[3]);
    expect(session.messages[3]?.status).toBe('done');
    await session.editAndResend(before[0] as string, 'A different first question');
    expect(session.messages.map((message) => message.content.slice(0, 26))).toEqual([
      'A different first question',
      expect.any(String),
    ]);
    expect(requests.at(-1)?.messages).toEqual([{ role: 'user', content: 'A different first question' }]);
  });

  it('shows a failed reply as an error, and a retry replaces it', async () => {
    const session = createChatSession({ client, storage: null });
    failNext = true;
    await session.send('This one fails upstream');
    expect(session.status).toBe('error');
    expect(session.messages.at(-1)).toMatchObject({
      status: 'error',
      error: { code: 'upstream_unavailable', retryable: true },
    });
    await session.retry();
    expect(session.status).toBe('idle');
    expect(session.messages).toHaveLength(2);
    expect(session.messages[1]?.status).toBe('done');
    // The failed reply is not part of the history the retry sent.
    expect(requests.at(-1)?.messages).toEqual([{ role: 'user', content: 'This one fails upstream' }]);
  });

  it.each(['sse', 'ws', 'polling', 'auto'] as const)(
    'survives a reload mid-answer in %s mode: the reply resumes from its last seq, once, with no second run',
    async (mode) => {
      const storage = memoryStorage();
      const id = `reload-${mode}`;
      const first = createChatSession({ client, storage, id, mode, model: 'sim/slow' });
      void first.send(`Explain ${mode} in depth.`);
      await untilState(first, (state) => (state.messages.at(-1)?.content.length ?? 0) > 40);
      // The page goes away: nothing cancels the run; what was saved is what a reload finds.
      first.detach();
      const runsBefore = requests.length;
      const saved = JSON.parse(storage.values.get(`chatwire.session:${id}`) ?? '{}');
      expect(saved.messages.at(-1)).toMatchObject({ status: 'streaming', runId: expect.any(String) });

      const reloaded = createChatSession({ client, storage, id, mode, model: 'sim/slow' });
      expect(reloaded.status).toBe('streaming');
      expect(reloaded.messages[0]?.content).toBe(`Explain ${mode} in depth.`);
      const done = await untilState(reloaded, (state) => state.status === 'idle');
      const reply = done.messages.at(-1);
      expect(reply?.status).toBe('done');
      expect(reply?.runId).toBe(saved.messages.at(-1).runId);
      expect(reply?.content).toBe(
        await fullAnswer([{ role: 'user', content: `Explain ${mode} in depth.` }], 'sim/slow'),
      );
      // The reload resumed the run: the only provider call since is the test's own full answer.
      expect(requests.length).toBe(runsBefore + 1);
      // And the finished conversation is what the next reload restores.
      const again = createChatSession({ client, storage, id });
      expect(again.messages.map((message) => message.content)).toEqual(done.messages.map((message) => message.content));
      expect(again.status).toBe('idle');
    },
  );

  it('shows a reply whose run expired meanwhile as an error to retry', async () => {
    const storage = memoryStorage();
    storage.setItem(
      'chatwire.session:expired',
      JSON.stringify({
        v: 1,
        messages: [
          { id: 'u1', role: 'user', content: 'Hello?', status: 'done' },
          { id: 'a1', role: 'assistant', content: 'Hel', status: 'streaming', runId: 'AAAAAAAAAAAAAAAAAAAAAA', seq: 2 },
        ],
      }),
    );
    const session = createChatSession({ client, storage, id: 'expired', mode: 'sse' });
    const state = await untilState(session, (current) => current.status === 'error');
    expect(state.messages.at(-1)).toMatchObject({ status: 'error', error: { code: 'not_found', retryable: true } });
    await session.retry();
    expect(session.messages.at(-1)?.status).toBe('done');
    expect(session.messages).toHaveLength(2);
  });

  it('clears the conversation and its saved copy', async () => {
    const storage = memoryStorage();
    const session = createChatSession({ client, storage, id: 'clear' });
    await session.send('hi');
    expect(storage.values.has('chatwire.session:clear')).toBe(true);
    await session.clear();
    expect(session.messages).toEqual([]);
    expect(storage.values.has('chatwire.session:clear')).toBe(false);
  });
});
