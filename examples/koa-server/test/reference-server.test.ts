import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import type { RunEvent } from '@chatwire/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGroq, type FakeGroq } from '../../../packages/server-kit/test/fake-groq/index.js';
import { handshakeStatus, post, rawChat, readSse } from '../../../packages/server-kit/test/helpers/raw-modes.js';
import { serverFolder as cwd, serverMain as main, spawnServer, type SpawnedServer } from './helpers/spawn-server.js';

const running: SpawnedServer[] = [];

async function startServer(env: Record<string, string>): Promise<SpawnedServer> {
  const server = await spawnServer(env);
  running.push(server);
  return server;
}

afterEach(async () => {
  for (const server of running.splice(0)) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});

describe('reference server on the simulated model', () => {
  it('says so at startup and in /healthz, serves every mode, and shuts down cleanly on SIGTERM', async () => {
    const server = await startServer({ GROQ_API_KEY: '', DEFAULT_MODEL: 'sim/instant' });
    expect(server.output()).toContain('simulated model');
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok', provider: 'simulated' });
    const models = await (await fetch(`${server.url}/api/models`)).json();
    expect(models.default).toBe('sim/instant');
    const target = { url: server.url, wsUrl: `${server.url.replace('http', 'ws')}/ws/chat` } as never;
    const texts = new Set<string>();
    for (const mode of ['sync', 'polling', 'sse', 'ws'] as const) {
      const outcome = await rawChat(mode, target, { message: 'What does a reverse proxy do?' });
      expect(outcome.ok).toBe(true);
      if (outcome.ok) texts.add(outcome.text);
    }
    expect(texts.size).toBe(1);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('serves the OpenAPI document, the interactive API page at /docs, metrics and JSON logs with request ids', async () => {
    const server = await startServer({ GROQ_API_KEY: '', DEFAULT_MODEL: 'sim/instant' });
    const document = await (await fetch(`${server.url}/openapi.json`)).json();
    expect(document.paths['/api/sse/chat'].post).toBeDefined();
    const page = await fetch(`${server.url}/docs`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('swagger-ui-bundle.js');
    const bundle = await fetch(`${server.url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    const chat = await post(`${server.url}/api/sync/chat`, JSON.stringify({ message: 'log me' }), {
      'x-request-id': 'req-123',
    });
    expect(chat.headers.get('x-request-id')).toBe('req-123');
    expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('chatwire_runs_started_total{mode="sync"} 1');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((line) => line.request_id === 'req-123')).toMatchObject({
      method: 'POST',
      path: '/api/sync/chat',
      status: 200,
    });
    expect(lines.find((line) => line.msg === 'run ended')).toMatchObject({
      mode: 'sync',
      model: 'sim/instant',
      outcome: 'completed',
    });
    expect(server.output()).not.toContain('log me');
  });

  it.each([
    [{ CHATWIRE_PROVIDER: 'groq' }, 'CHATWIRE_PROVIDER=groq needs GROQ_API_KEY'],
    [{ CHATWIRE_LEASE_MS: '3s' }, 'CHATWIRE_LEASE_MS must be milliseconds, got "3s"'],
    [{ CHATWIRE_WRITE_BEHIND_MS: '-1' }, 'CHATWIRE_WRITE_BEHIND_MS must be milliseconds from 0 to 1000, got "-1"'],
    [{ CHATWIRE_TOKEN_WINDOW_MS: '16ms' }, 'CHATWIRE_TOKEN_WINDOW_MS must be milliseconds from 0 to 1000, got "16ms"'],
    [
      // The value docker-compose.yml used to ship: published, and too short to resist guessing anyway.
      { CHATWIRE_TICKET_SECRET: 'change-me-shared-ticket-secret' },
      'CHATWIRE_TICKET_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`), or unset to derive it from CHATWIRE_API_KEYS',
    ],
    [
      { CHATWIRE_TRUSTED_PROXIES: '10.0.0.5,nginx' },
      'CHATWIRE_TRUSTED_PROXIES must be comma-separated IP addresses or CIDRs, got "10.0.0.5,nginx"',
    ],
  ])('refuses a bad configuration (%o) with one clear line and a non-zero exit', async (bad, message) => {
    const child = spawn(process.execPath, [main], {
      cwd,
      env: { PATH: process.env.PATH ?? '', INIT_CWD: cwd, PORT: '0', ...bad },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`configuration error: ${message}`);
  });
});

describe('reference server client addresses and tickets', () => {
  const logLines = (server: SpawnedServer) =>
    server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const chat = (server: SpawnedServer, forwardedFor: string) =>
    post(`${server.url}/api/sync/chat`, '{"message":"hi"}', { 'x-forwarded-for': forwardedFor });

  it('ignores X-Forwarded-For by default: a client rotating it is limited and logged by its real address', async () => {
    const server = await startServer({ DEFAULT_MODEL: 'sim/instant', CHATWIRE_RUNS_PER_MINUTE: '2' });
    const statuses = [];
    for (const address of ['198.51.100.1', '198.51.100.2', '198.51.100.3'])
      statuses.push((await chat(server, address)).status);
    expect(statuses).toEqual([200, 200, 429]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const requests = logLines(server).filter((line) => line.msg === 'request' && line.path === '/api/sync/chat');
    expect(requests.map((line) => line.client_ip)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });

  it('believes X-Forwarded-For from CHATWIRE_TRUSTED_PROXIES: limits and logs use the forwarded address', async () => {
    const server = await startServer({
      DEFAULT_MODEL: 'sim/instant',
      CHATWIRE_RUNS_PER_MINUTE: '2',
      CHATWIRE_TRUSTED_PROXIES: '127.0.0.1',
    });
    const statuses = [];
    for (const address of ['203.0.113.5', '203.0.113.5', '203.0.113.5', '203.0.113.6'])
      statuses.push((await chat(server, address)).status);
    expect(statuses).toEqual([200, 200, 429, 200]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const requests = logLines(server).filter((line) => line.msg === 'request' && line.path === '/api/sync/chat');
    expect(requests.map((line) => line.client_ip)).toEqual([
      '203.0.113.5',
      '203.0.113.5',
      '203.0.113.5',
      '203.0.113.6',
    ]);
  });

  it('with API keys and no ticket secret, accepts its own tickets and refuses ones signed with guessable secrets', async () => {
    const key = `key-${Math.random().toString(36).slice(2)}-${Date.now()}`;
    const server = await startServer({ DEFAULT_MODEL: 'sim/instant', CHATWIRE_API_KEYS: key });
    const response = await post(`${server.url}/api/ws/ticket`, '', { authorization: `Bearer ${key}` });
    const { ticket } = (await response.json()) as { ticket: string };
    const open = (value: string) => handshakeStatus(`${server.wsUrl}?ticket=${encodeURIComponent(value)}`);
    expect(await open(ticket)).toBe(101);
    const principal = JSON.parse(Buffer.from(ticket.split('.')[0] as string, 'base64url').toString()).p as string;
    for (const secret of ['', 'a', 'secret', 'change-me-shared-ticket-secret', 'chatwire']) {
      const payload = Buffer.from(JSON.stringify({ p: principal, e: Date.now() + 60_000 })).toString('base64url');
      const signature = createHmac('sha256', secret).update(payload).digest('base64url');
      expect(await open(`${payload}.${signature}`), secret).toBe(401);
    }
  });
});

describe('reference server on Groq (a local fake Groq through the real groq-sdk)', () => {
  let fake: FakeGroq;
  const key = 'gsk_test_secret_do_not_leak_42';
  beforeAll(async () => {
    fake = await startFakeGroq({ apiKey: key, tokens: ['Bon', 'jour', ' :', ')', '\n', 'fin'] });
  });
  afterAll(() => fake.close());

  it('picks Groq when GROQ_API_KEY is set and streams its tokens, keeping the key to itself', async () => {
    const server = await startServer({ GROQ_API_KEY: key, GROQ_BASE_URL: fake.url });
    expect(server.output()).toContain('Groq');
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok', provider: 'groq' });
    const models = await (await fetch(`${server.url}/api/models`)).json();
    expect(models.data.map((model: { id: string }) => model.id)).toContain('openai/gpt-oss-20b');
    const response = await post(
      `${server.url}/api/sse/chat`,
      JSON.stringify({ message: 'Salut', model: 'openai/gpt-oss-20b' }),
    );
    const events: RunEvent[] = await readSse(response);
    expect(
      events
        .filter((event) => event.type === 'token')
        .map((event) => (event as { text: string }).text)
        .join(''),
    ).toBe('Bonjour :)\nfin');
    expect(events.at(-1)?.type).toBe('done');
    const upstream = fake.requests.at(-1);
    expect(upstream?.headers.authorization).toBe(`Bearer ${key}`);
    expect(upstream?.body).toMatchObject({
      model: 'openai/gpt-oss-20b',
      stream: true,
      messages: [{ role: 'user', content: 'Salut' }],
    });
    expect(JSON.stringify(events)).not.toContain(key);
    expect(server.output()).not.toContain(key);
  });

  it('maps a refused key to upstream_auth without ever echoing the key', async () => {
    const wrong = 'gsk_wrong_key_should_not_appear_77';
    const server = await startServer({ GROQ_API_KEY: wrong, GROQ_BASE_URL: fake.url });
    const response = await post(
      `${server.url}/api/sync/chat`,
      JSON.stringify({ message: 'Salut', model: 'openai/gpt-oss-20b' }),
    );
    const text = await response.text();
    expect(response.status).toBe(502);
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'upstream_auth', retryable: false } });
    expect(text).not.toContain(wrong);
    expect(server.output()).not.toContain(wrong);
  });
});
