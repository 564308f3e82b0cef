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
