/** `ChatSession` in a component (compiled as a consumer's Svelte does, mounted on happy-dom) against a real server. */
import { createChatClient, type ChatClient } from '@chatwire/client-sdk';
import { Window } from 'happy-dom';
import type { Component } from 'svelte';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Package from '../src/index.js';
import { compileSvelte } from './helpers/compile-svelte.js';
import { memoryStorage, startServer } from './helpers/start-server.js';

let server: Awaited<ReturnType<typeof startServer>>;
let compiled: Awaited<ReturnType<typeof compileSvelte>>;
let client: ChatClient;
let Chat: Component<{
  client: ChatClient;
  storage: Package.SessionStorageLike;
  model: string;
  onchat: (chat: Package.ChatSession) => void;
}>;
let window: Window;
const restore: Array<() => void> = [];

beforeAll(async () => {
  server = await startServer();
  client = createChatClient({ baseUrl: server.url });
  compiled = await compileSvelte(['src/chat-session.svelte.ts', 'src/index.ts', 'test/fixtures/Chat.svelte']);
  ({ default: Chat } = await import(compiled.url('test/fixtures/Chat.svelte')));
  // Only what Svelte's DOM runtime reads; Node keeps its own fetch, WebSocket, Event and storage.
  window = new Window({ url: 'http://localhost/' });
  for (const name of ['window', 'document', 'navigator', 'Node', 'Element', 'HTMLElement', 'Text', 'Comment']) {
    const before = Object.getOwnPropertyDescriptor(globalThis, name);
    const value = name === 'window' ? window : (window as unknown as Record<string, unknown>)[name];
    Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
    restore.push(() =>
      before ? Object.defineProperty(globalThis, name, before) : delete (globalThis as Record<string, unknown>)[name],
    );
  }
});
afterAll(async () => {
  for (const undo of restore.reverse()) undo();
  await window?.happyDOM.close();
  client.close();
  await server?.close();
  await compiled?.dispose();
});

describe('ChatSession in a component', () => {
  it('the template follows the reply; unmounting mid-answer destroys the session and a remount resumes the reply', async () => {
    const { mount, unmount, flushSync } = compiled.svelte;
    const storage = memoryStorage();
    const chats: Package.ChatSession[] = [];
    const target = window.document.body as unknown as HTMLElement;
    const props = { client, storage, model: 'sim/slow', onchat: (chat: Package.ChatSession) => void chats.push(chat) };
    const text = (selector: string) => target.querySelector(selector)?.textContent ?? '';

    const first = mount(Chat, { target, props });
    flushSync();
    expect(text('#status')).toBe('idle');
    (target.querySelector('button') as HTMLButtonElement).click();
    flushSync();
    expect(text('#status')).toBe('streaming');
    expect(target.querySelector('button')?.disabled).toBe(true);
    expect(text('li.user')).toBe('Why is the sky blue?');
    await vi.waitFor(() => expect(text('li.assistant').length).toBeGreaterThan(20), { timeout: 5_000 });
    const runs = server.requests.length;

    await unmount(first);
    await expect(chats[0]?.send('Anyone there?')).rejects.toThrow(/destroyed/);

    mount(Chat, { target, props });
    flushSync();
    expect(chats[1]?.status).toBe('streaming');
    await vi.waitFor(() => expect(text('#status')).toBe('idle'), { timeout: 10_000 });
    const reply = chats[1]?.messages.at(-1);
    const answer = await client.resume(reply?.runId as string, { mode: 'sse', after: -1 }).text();
    expect(target.querySelectorAll('li').length).toBe(2);
    expect(target.querySelector('li.assistant')?.getAttribute('data-status')).toBe('done');
    expect(text('li.assistant')).toBe(answer);
    expect(server.requests.length).toBe(runs);
  });
});
