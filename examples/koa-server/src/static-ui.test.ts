import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import Koa, { type Middleware } from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtUiRoot, serveStaticUi } from './static-ui.js';

// Stands in for the kit: answers its own routes, leaves anything else unanswered (Koa's plain 404).
const ROUTES = new Set(['GET /api/models', 'POST /api/sync/chat', 'GET /healthz', 'GET /docs']);
const api: Middleware = async (ctx, next) => {
  const route = `${ctx.method} ${ctx.path}`;
  if (ROUTES.has(route)) ctx.body = { api: route };
  else await next();
};

async function listen(app: Koa): Promise<{ server: Server; base: string }> {
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('serveStaticUi', () => {
  let root: string;
  let before: { server: Server; base: string };
  let after: { server: Server; base: string };
  let base: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'chatwire-static-ui-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>chatwire</title>');
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    before = await listen(new Koa().use(serveStaticUi({ root })).use(api));
    after = await listen(new Koa().use(api).use(serveStaticUi({ root })));
    base = before.base;
  });

  afterAll(async () => {
    for (const { server } of [before, after]) await new Promise<void>((resolve) => server.close(() => resolve()));
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

  it('never shadows a route of the app, whatever the method or the order it is mounted in', async () => {
    for (const url of [before.base, after.base]) {
      expect(await (await fetch(`${url}/api/models`)).json()).toEqual({ api: 'GET /api/models' });
      expect(await (await fetch(`${url}/api/sync/chat`, { method: 'POST' })).json()).toEqual({
        api: 'POST /api/sync/chat',
      });
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ api: 'GET /healthz' });
      expect(await (await fetch(`${url}/docs`)).json()).toEqual({ api: 'GET /docs' });
      expect(await (await fetch(`${url}/`)).text()).toContain('<title>chatwire</title>');
    }
  });

  it('keeps unknown API paths 404s instead of answering them with the app', async () => {
    for (const path of ['/api/nope', '/ws/chat', '/metrics']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).not.toContain('<title>');
    }
  });

  it('never serves files outside the root', async () => {
    const response = await fetch(`${base}/..%2f..%2fetc%2fpasswd`);
    expect([400, 403, 404]).toContain(response.status);
    expect(await response.text()).not.toContain('root:');
  });
});

describe('builtUiRoot', () => {
  it('finds the Svelte UI that `npm run build` put in examples/svelte-web/dist', () => {
    const root = builtUiRoot();
    expect(root).toBeDefined();
    expect(root?.replaceAll(sep, '/')).toMatch(/examples\/svelte-web\/dist\/?$/);
  });
});
