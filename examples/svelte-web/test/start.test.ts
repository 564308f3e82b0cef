/**
 * `npm start` alone (no nginx): the reference server process serves the built UI next to the API, so a new user who
 * opens http://localhost:8000 gets the chat.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, requirePrerequisites, screenshot, startReferenceServer, type Running } from './harness.js';
import { openUi, sendChat, waitForStatus, type UiMode } from './page.js';

let server: Running;
let browser: Browser;

beforeAll(async () => {
  requirePrerequisites();
  server = await startReferenceServer();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the reference server without nginx', () => {
  it('serves the UI with revalidated HTML and long-cached assets, and app routes fall back to it', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    expect(html).toContain('<title>chatwire</title>');
    const asset = html.match(/\/assets\/[^"]+\.js/)?.[0];
    expect(asset).toBeDefined();
    const script = await fetch(`${server.url}${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toMatch(/immutable/);
    expect(await (await fetch(`${server.url}/some/app/route`)).text()).toContain('<title>chatwire</title>');
    // The API keeps its own answers.
    expect((await fetch(`${server.url}/api/models`)).headers.get('content-type')).toMatch(/json/);
  });

  it('chats in all four modes from the page it serves', async () => {
    const ui = await openUi(browser, server.url);
    try {
      for (const mode of ['sync', 'polling', 'sse', 'ws'] satisfies UiMode[]) {
        const reply = await sendChat(ui.page, mode, `How does ${mode} work?`);
        await expect(waitForStatus(reply, ['done', 'error', 'stopped'])).resolves.toBe('done');
      }
      await screenshot(ui.page, 'npm-start-four-modes');
      expect(ui.errors).toEqual([]);
    } finally {
      await ui.close();
    }
  });
});
