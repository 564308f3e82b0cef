/**
 * What the conformance suite does not cover, through every adapter and under a basePath: the framework's own route,
 * the open routes, auth, CORS, idempotency, SSE resume, the polling Location, metrics, and the client SDK with a
 * prefixed baseUrl in all four modes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MODES, type RunEvent } from '@chatwire/protocol';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatClient } from '../../client-sdk/src/index.js';
import { createChatKit, createSimulatedProvider } from '../src/index.js';
import { post, readSse } from './helpers/raw-modes.js';
import { ADAPTERS, OWN_ROUTE_TEXT, startKit, type Adapter, type TestServer } from './helpers/start-kit.js';

const key = 'adapter-test-key-0123456789';
const origin = 'https://chat.example.com';
const auth = { authorization: `Bearer ${key}` };
const setups: Array<[Adapter, string]> = ADAPTERS.flatMap((adapter): Array<[Adapter, string]> => [
  [adapter, ''],
  [adapter, '/chat'],
]);

describe.each(setups)('%s adapter, basePath "%s"', (adapter, basePath) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startKit(
      {
        provider: createSimulatedProvider({ defaultModel: 'sim/instant' }),
        apiKeys: [key],
        allowedOrigins: [origin],
        metrics: true,
        basePath,
      },
      adapter,
    );
  });
  afterAll(() => server.close());

  it("leaves the framework's own routes alone", async () => {
    const response = await fetch(`${server.origin}/own`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(OWN_ROUTE_TEXT);
  });

  it('serves the open routes without a key and refuses the API without one, as JSON', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok', provider: 'simulated' });
    expect((await (await fetch(`${server.url}/readyz`)).json()).status).toBe('ok');
    expect((await (await fetch(`${server.url}/openapi.json`)).json()).openapi).toMatch(/^3\./);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('chatwire_');
    const refused = await fetch(`${server.url}/api/models`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect(await refused.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const models = await fetch(`${server.url}/api/models`, { headers: auth });
    expect((await models.json()).default).toBe('sim/instant');
  });

  it('answers a wrong method with 405 method_not_allowed and the allowed methods', async () => {
    const response = await fetch(`${server.url}/api/sync/chat`, { headers: auth });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toContain('POST');
    expect(await response.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
  });

  it('answers CORS preflights for the allowed origin only', async () => {
    const preflight = (from: string) =>
      fetch(`${server.url}/api/sse/chat`, {
        method: 'OPTIONS',
        headers: { origin: from, 'access-control-request-method': 'POST' },
      });
    const allowed = await preflight(origin);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
    expect(allowed.headers.get('access-control-allow-headers')).toContain('Authorization');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    const chat = await post(`${server.url}/api/sync/chat`, '{"message":"hi"}', { ...auth, origin });
    expect(chat.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('attaches a retried create with the same Idempotency-Key to the first run, whatever the mode', async () => {
    const headers = { ...auth, 'idempotency-key': `retry-${adapter}-${basePath}` };
    const first = await post(`${server.url}/api/async/chat`, '{"message":"once"}', headers);
    expect(first.status).toBe(202);
    const { task_id } = (await first.json()) as { task_id: string };
    expect(first.headers.get('location')).toBe(`${basePath}/api/async/status/${task_id}`);
    const again = await post(`${server.url}/api/async/chat`, '{"message":"once"}', headers);
    expect(((await again.json()) as { task_id: string }).task_id).toBe(task_id);
    const viaSse = await readSse(await post(`${server.url}/api/sse/chat`, '{"message":"once"}', headers));
    expect(viaSse[0]?.id).toBe(task_id);
  });

  it('resumes an SSE stream from Last-Event-ID with exactly the missing events', async () => {
    const all = await readSse(await post(`${server.url}/api/sse/chat`, '{"message":"Tell me about SSE."}', auth));
    const id = (all[0] as RunEvent).id;
    const resumed = await readSse(
      await fetch(`${server.url}/api/sse/chat/${id}`, { headers: { ...auth, 'last-event-id': '3' } }),
    );
    expect(resumed.map((event) => event.seq)).toEqual(all.slice(4).map((event) => event.seq));
    expect(resumed.at(-1)?.type).toBe('done');
  });

  it('chats through the client SDK with a baseUrl carrying the prefix, in all four modes', async () => {
    const client = createChatClient({ baseUrl: server.url, apiKey: key });
    try {
      const texts = new Set<string>();
      for (const mode of MODES) {
        let text = '';
        const stream = client.chat({ mode, message: 'What is a reverse proxy?' });
        for await (const event of stream) if (event.type === 'token') text += event.text;
        expect(stream.stats.mode).toBe(mode);
        texts.add(text);
      }
      expect(texts.size).toBe(1);
      expect([...texts][0]?.length).toBeGreaterThan(50);
    } finally {
      client.close();
    }
  });
});

describe('Express with a body parser mounted before the kit', () => {
  it('still chats: the kit reads the body the parser already read', async () => {
    const kit = createChatKit({ provider: createSimulatedProvider({ defaultModel: 'sim/instant' }) });
    const app = express();
    app.use(express.json());
    app.use(kit.handler());
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const response = await post(`http://127.0.0.1:${port}/api/sync/chat`, '{"message":"hi"}');
      expect(response.status).toBe(200);
      expect(((await response.json()) as { response: string }).response.length).toBeGreaterThan(10);
    } finally {
      await kit.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
