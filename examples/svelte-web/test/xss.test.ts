/**
 * The model's text is untrusted: an answer full of XSS payloads, streamed through nginx into the real UI in Chromium,
 * renders its markdown and runs none of them.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, requirePrerequisites, screenshot, startNginx, type Running } from './harness.js';
import { openUi, sendChat, waitForStatus, type UiMode } from './page.js';
import { startHostileServer } from './xss-server.js';

let server: Awaited<ReturnType<typeof startHostileServer>>;
let nginx: Running;
let browser: Browser;

beforeAll(async () => {
  requirePrerequisites();
  server = await startHostileServer();
  nginx = await startNginx({ backend: `127.0.0.1:${server.port}` });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await server?.stop();
});

describe('an answer carrying XSS payloads', () => {
  it.each<UiMode>(['sse', 'ws'])('renders as markdown in %s mode and executes nothing', async (mode) => {
    const ui = await openUi(browser, nginx.url);
    const { page } = ui;
    try {
      const reply = await sendChat(page, mode, 'Summarise the page');
      await expect(waitForStatus(reply, ['done', 'error', 'stopped'])).resolves.toBe('done');
      await screenshot(page, `xss-${mode}`);
      const answer = reply.locator('.answer');

      // The markdown around the payloads is rendered.
      await expect(answer.locator('strong').first().textContent()).resolves.toBe('summary');
      await expect(answer.locator('li').count()).resolves.toBe(2);
      await expect(answer.locator('pre code').textContent()).resolves.toContain('<script>window.__xss=9</script>');
      await expect(answer.getByRole('link', { name: 'safe link' }).getAttribute('href')).resolves.toBe(
        'https://example.com/docs',
      );

      // Try to trigger what could have survived (the `<details>` handler fires by itself): click the links, hover.
      for (const name of ['click me', 'alert', 'raw link']) {
        const link = answer.getByText(name, { exact: true });
        if ((await link.count()) > 0) await link.click({ modifiers: [], noWaitAfter: true }).catch(() => undefined);
      }
      await answer.getByText('hover here').hover();
      await page.waitForTimeout(300);

      await expect(page.evaluate(() => (window as { __xss?: unknown }).__xss)).resolves.toBeUndefined();
      expect(ui.dialogs).toEqual([]);

      // Nothing dangerous is left in the DOM.
      const dangerous = await answer.evaluate((element) => ({
        tags: [...element.querySelectorAll('script, iframe, img, svg, object, embed, style')].map(
          (node) => node.tagName,
        ),
        handlers: [...element.querySelectorAll('*')].flatMap((node) =>
          [...node.attributes]
            .filter((attribute) => attribute.name.startsWith('on'))
            .map((attribute) => attribute.name),
        ),
        scriptUrls: [...element.querySelectorAll('[href], [src]')]
          .map((node) => node.getAttribute('href') ?? node.getAttribute('src') ?? '')
          .filter((url) => /^\s*javascript:/i.test(url)),
      }));
      expect(dangerous).toEqual({ tags: [], handlers: [], scriptUrls: [] });
      expect(ui.errors).toEqual([]);
    } finally {
      await ui.close();
    }
  });
});
