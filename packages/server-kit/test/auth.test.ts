import type { RunEvent } from '@chatwire/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSimulatedProvider } from '../src/index.js';
import { nextFrame, openSocket, post, readSse } from './helpers/raw-modes.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

const alice = 'key-alice-0123456789';
const bob = 'key-bob-9876543210';
const origin = 'https://chat.example.com';
let server: TestServer;

beforeAll(async () => {
  server = await startKit({
    provider: createSimulatedProvider({ defaultModel: 'sim/instant' }),
    apiKeys: [alice, bob],
    allowedOrigins: [origin],
  });
});
afterAll(() => server.close());

const as = (key: string) => ({ authorization: `Bearer ${key}` });
const chat = (key: string) => post(`${server.url}/api/sync/chat`, JSON.stringify({ message: 'hi' }), as(key));

function handshake(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}) {
  return new Promise<{ status?: number; socket?: WebSocket }>((resolve) => {
    const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('error', () => resolve({ status: -1 }));
  });
}

describe('API keys', () => {
  it('refuses HTTP requests without a valid key with 401 and lets /healthz through', async () => {
    for (const response of [
      await post(`${server.url}/api/sync/chat`, '{"message":"hi"}'),
      await chat('nope'),
      await fetch(`${server.url}/api/models`),
    ]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toMatchObject({ error: { code: 'unauthorized', retryable: false } });
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await chat(alice)).status).toBe(200);
    // A browser caches the model list per key, never for a tab that has forgotten its key.
    const models = await fetch(`${server.url}/api/models`, { headers: as(alice) });
    expect(models.status).toBe(200);
    expect(models.headers.get('vary')).toContain('Authorization');
  });

  it('refuses a WS handshake without a key with 401 before the upgrade', async () => {
    expect(await handshake(server.wsUrl)).toEqual({ status: 401 });
    expect(await handshake(server.wsUrl, { protocols: ['chatwire.v1', 'bearer.wrong'] })).toEqual({ status: 401 });
  });

  it('accepts the key as a bearer.<key> subprotocol and selects chatwire.v1, never echoing the key', async () => {
    const { socket } = await handshake(server.wsUrl, { protocols: ['chatwire.v1', `bearer.${alice}`] });
    expect(socket?.protocol).toBe('chatwire.v1');
    socket?.close();
  });

  it('accepts a short-lived ticket from POST /api/ws/ticket in the URL', async () => {
    const response = await post(`${server.url}/api/ws/ticket`, '', as(alice));
    const { ticket, expires_in } = (await response.json()) as { ticket: string; expires_in: number };
    expect(expires_in).toBeGreaterThan(0);
    expect(ticket).not.toContain(alice);
    const { socket } = await handshake(`${server.wsUrl}?ticket=${encodeURIComponent(ticket)}`);
    expect(socket).toBeDefined();
    socket?.close();
    expect(await handshake(`${server.wsUrl}?ticket=${encodeURIComponent(`${ticket}x`)}`)).toEqual({ status: 401 });
  });

  it('answers 403 to a WS handshake from a foreign Origin', async () => {
    const headers = { ...as(alice), origin: 'https://evil.example' };
    expect(await handshake(server.wsUrl, { headers })).toEqual({ status: 403 });
    const { socket } = await handshake(server.wsUrl, { headers: { ...as(alice), origin } });
    expect(socket).toBeDefined();
    socket?.close();
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const preflight = (from: string) =>
      fetch(`${server.url}/api/sse/chat`, {
        method: 'OPTIONS',
        headers: {
          origin: from,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight(origin);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('run ownership', () => {
  it('answers 404 to another principal in every way of reading, resuming or cancelling a run', async () => {
    const response = await post(`${server.url}/api/sse/chat`, JSON.stringify({ message: 'secret plans' }), as(alice));
    const events = await readSse(response);
    const id = (events[0] as RunEvent).id;
    expect((await fetch(`${server.url}/api/runs/${id}`, { headers: as(alice) })).status).toBe(200);
    for (const path of [`/api/runs/${id}`, `/api/async/status/${id}?after=-1`, `/api/sse/chat/${id}`]) {
      const foreign = await fetch(`${server.url}${path}`, { headers: as(bob) });
      expect(foreign.status).toBe(404);
      expect(await foreign.json()).toMatchObject({ error: { code: 'not_found' } });
    }
    expect((await post(`${server.url}/api/runs/${id}/cancel`, '', as(bob))).status).toBe(404);
    const socket = await openSocket(server.wsUrl, { headers: as(bob) });
    socket.send(JSON.stringify({ type: 'resume', id, after: -1 }));
    expect(await nextFrame(socket)).toMatchObject({ type: 'error', code: 'not_found', id });
    socket.close();
  });
});
