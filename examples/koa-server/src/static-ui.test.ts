import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStaticUi } from './static-ui.js';

describe('serveStaticUi', () => {
  let root: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'chatwire-static-ui-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>chatwire</title>');
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const app = new Koa();
    app.use(serveStaticUi({ root }));
    // Stands in for the kit: answers its own routes; anything else is left unanswered (404).
    const routes = new Set(['GET /api/models', 'POST /api/sync/chat', 'GET /healthz']);
    app.use((ctx) => {
      const route = `${ctx.method} ${ctx.path}`;
      if (routes.has(route)) ctx.body = { api: route };
    });
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(root, { recursive: true, force: true });
  });

  it('serves index.html at / and revalidates it on every load', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toContain('<title>chatwire</title>');
  });

  it('caches hashed assets for a year', async () => {
    const response = await fetch(`${base}/assets/index-abc123.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    expect(response.headers.get('cache-control')).toMatch(/max-age=31536000.*immutable/);
  });

  it('answers app routes with index.html (SPA fallback)', async () => {
    const response = await fetch(`${base}/compare`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>chatwire</title>');
  });

  it('keeps a missing file a 404', async () => {
    expect((await fetch(`${base}/assets/gone-123.js`)).status).toBe(404);
  });

  it('leaves /api, /ws and /healthz to the API, whatever the method', async () => {
    expect(await (await fetch(`${base}/api/models`)).json()).toEqual({ api: 'GET /api/models' });
    expect(await (await fetch(`${base}/api/sync/chat`, { method: 'POST' })).json()).toEqual({
      api: 'POST /api/sync/chat',
    });
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ api: 'GET /healthz' });
    // An unknown API path is the API's 404, not the app.
    expect((await fetch(`${base}/api/nope`)).status).toBe(404);
    expect((await fetch(`${base}/ws/chat`)).status).toBe(404);
  });

  it('never serves files outside the root', async () => {
    const response = await fetch(`${base}/..%2f..%2fetc%2fpasswd`);
    expect([400, 403, 404]).toContain(response.status);
    expect(await response.text()).not.toContain('root:');
  });
});
