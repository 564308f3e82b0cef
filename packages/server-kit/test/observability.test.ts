import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedProvider, type Logger } from '../src/index.js';
import { post, rawChat, readSse } from './helpers/raw-modes.js';
import { startKit, type TestServer } from './helpers/start-kit.js';

const lines: Array<{ level: string; object: Record<string, unknown>; message: string | undefined }> = [];
const logger: Logger = {
  info: (object, message) => lines.push({ level: 'info', object, message }),
  warn: (object, message) => lines.push({ level: 'warn', object, message }),
  error: (object, message) => lines.push({ level: 'error', object, message }),
};
const key = 'metrics-test-key-123';
let server: TestServer;
beforeAll(async () => {
  server = await startKit({
    provider: createSimulatedProvider({ defaultModel: 'sim/instant' }),
    metrics: true,
    logger,
    apiKeys: [key],
  });
});
afterAll(() => server.close());
const auth = { authorization: `Bearer ${key}` };

describe('metrics, logs and overhead', () => {
  it('serves Prometheus metrics without a key, counting runs, errors, tokens and streams', async () => {
    for (const mode of ['sync', 'sse'] as const)
      expect((await rawChat(mode, server, { message: 'count me' }, auth)).ok).toBe(true);
    await post(`${server.url}/api/sync/chat`, '{"message":', auth);
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/chatwire_runs_started_total\{mode="sync"\} 1/);
    expect(text).toMatch(/chatwire_runs_ended_total\{mode="sse",outcome="completed"\} 1/);
    expect(text).toMatch(/chatwire_errors_total\{code="invalid_json"\} 1/);
    expect(text).toMatch(/chatwire_time_to_first_token_seconds_count\{mode="sse"\} 1/);
    expect(text).toMatch(/chatwire_tokens_streamed_total\{mode="sse"\} [1-9]/);
    expect(text).toMatch(/chatwire_active_streams\{mode="ws"\} 0/);
    expect(text).toMatch(/chatwire_store_operation_seconds_count\{operation="create"\} [1-9]/);
  });

  it('logs one line per run with mode, model, outcome, TTFT and tokens, and never the message or key', async () => {
    const secret = 'the-user-wrote-this-private-sentence';
    const outcome = await rawChat('polling', server, { message: secret }, auth);
    if (!outcome.ok) throw new Error('chat failed');
    const id = outcome.events[0]?.id;
    const line = lines.find((entry) => entry.object.run_id === id);
    expect(line).toMatchObject({
      level: 'info',
      message: 'run ended',
      object: { mode: 'polling', model: 'sim/instant', outcome: 'completed' },
    });
    expect(line?.object.tokens).toBeGreaterThan(0);
    expect(typeof line?.object.ttft_ms).toBe('number');
    const everything = JSON.stringify(lines);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(key);
  });

  it('reports the time the kit added as Server-Timing on HTTP responses, streams included', async () => {
    const sync = await post(`${server.url}/api/sync/chat`, JSON.stringify({ message: 'hi' }), auth);
    const sse = await post(`${server.url}/api/sse/chat`, JSON.stringify({ message: 'hi' }), auth);
    await readSse(sse);
    for (const response of [sync, sse]) {
      const header = response.headers.get('server-timing') ?? '';
      expect(header).toMatch(/^chatwire;desc="kit overhead";dur=\d+\.\d\d$/);
    }
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document whose request schema states the limits the server enforces', async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = await response.json();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/api/sync/chat', '/api/async/chat', '/api/sse/chat', '/api/runs/{id}/cancel']),
    );
    const request = document.components.schemas.ChatRequest;
    expect(request.properties.max_tokens.maximum).toBe(4096);
    expect(request.properties.messages.items.properties.role.enum).toEqual(['system', 'user', 'assistant']);
    expect(document.components.schemas.RunEvent.oneOf ?? document.components.schemas.RunEvent.anyOf).toHaveLength(4);
    expect(document.security).toEqual([{ bearer: [] }]);
  });
});
