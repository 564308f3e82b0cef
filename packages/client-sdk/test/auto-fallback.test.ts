import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSimulatedProvider } from '@chatwire/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatClient } from '../src/index.js';
import { startServer, type TestServer } from './helpers/start-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ provider: createSimulatedProvider({ defaultModel: 'sim/gpt-oss-20b' }) });
});
afterAll(() => server.close());

describe('mode: auto against a server whose WebSocket path fails', () => {
  it('uses ws when it works', async () => {
    const client = createChatClient({ baseUrl: server.url });
    const stream = client.chat({ mode: 'auto', message: 'hello there' });
    const text = await stream.text();
    expect(text.length).toBeGreaterThan(20);
    expect(stream.stats.mode).toBe('ws');
    expect(stream.stats.fallbacks).toEqual([]);
    client.close();
  });
  it('falls back to sse when the ws path 404s', async () => {
    const client = createChatClient({ baseUrl: server.url, webSocketUrl: server.url.replace('http', 'ws') + '/nope' });
    const stream = client.chat({ mode: 'auto', message: 'hello there' });
    const text = await stream.text();
    expect(text.length).toBeGreaterThan(20);
    expect(stream.stats.mode).toBe('sse');
    expect(stream.stats.fallbacks).toEqual([{ from: 'ws', to: 'sse', reason: 'ws_refused' }]);
    const second = client.chat({ mode: 'auto', message: 'again' });
    await second.text();
    expect(second.stats.mode).toBe('sse');
    expect(second.stats.fallbacks).toEqual([]);
    client.close();
  });
  it('times out a ws that never opens', async () => {
    const hole = createServer();
    hole.on('upgrade', () => {});
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    const port = (hole.address() as AddressInfo).port;
    const client = createChatClient({
      baseUrl: server.url,
      webSocketUrl: `ws://127.0.0.1:${port}/ws/chat`,
      webSocketConnectTimeoutMs: 500,
    });
    const stream = client.chat({ mode: 'auto', message: 'hello there' });
    await stream.text();
    expect(stream.stats.fallbacks).toEqual([{ from: 'ws', to: 'sse', reason: 'ws_timeout' }]);
    client.close();
    hole.closeAllConnections();
    hole.close();
  });
});

describe('what auto mode remembers', () => {
  it('remembers nothing from a chat that failed on every transport (a server that was down)', async () => {
    const values = new Map<string, string>();
    const modeStorage = {
      getItem: (key: string) => values.get(key) ?? null,
      setItem: (key: string, value: string) => void values.set(key, value),
    };
    // A port nobody listens on: every transport fails, quickly.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const down = createChatClient({ baseUrl: `http://127.0.0.1:${port}`, modeStorage, retry: { attempts: 1 } });
    await expect(down.chat({ mode: 'auto', message: 'anyone?' }).text()).rejects.toMatchObject({ code: 'network' });
    down.close();
    expect([...values.keys()]).toEqual([]);
    // The same storage with a live server at another address: it is remembered per server, and a fallback that
    // delivered is remembered.
    const refusing = createChatClient({
      baseUrl: server.url,
      webSocketUrl: `${server.url.replace('http', 'ws')}/nope`,
      modeStorage,
    });
    await refusing.chat({ mode: 'auto', message: 'hello' }).text();
    refusing.close();
    expect(JSON.parse(values.get(`chatwire.mode:${server.url}`) ?? '{}')).toMatchObject({ mode: 'sse' });
  });
});
