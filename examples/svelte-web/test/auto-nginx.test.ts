/**
 * Issue 14: `mode: 'auto'` through real nginx, from Node and from Chromium. The repository's nginx.conf is edited into
 * the hostile intermediaries of ./hostile-nginx.ts (WebSockets refused, event streams held, both) in front of the kit
 * with a model that streams for about ten seconds. In each case the auto client gets the exact text with no seq missing
 * or repeated, its first token within 4 s, and reports the mode it ended on and each switch. The same through a Node
 * gateway that holds whole responses, and WebSockets cut mid-answer: packages/client-sdk/test/auto-gateway.test.ts.
 */
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createChatClient } from '@chatwire/client-sdk';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOutcome, verdictOf, type AutoOutcome } from '../../../packages/client-sdk/test/helpers/auto-outcome.js';
import {
  answerOf,
  createTenSecondProvider,
  TEN_SECOND_MODEL,
  TEN_SECOND_REQUEST,
} from '../../../packages/client-sdk/test/helpers/slow-answer.js';
import { startServer, type TestServer } from '../../../packages/client-sdk/test/helpers/start-server.js';
import { launchChromium, requirePrerequisites, startNginx, UI_DIST, type Running } from './harness.js';
import { HOSTILE_NGINX, type HostileNginx } from './hostile-nginx.js';
import { answerText, deliveryOf, openUi, pickModel, sendChat, waitForStatus } from './page.js';
import type * as AutoPage from './auto-page.js';

const here = dirname(fileURLToPath(import.meta.url));
const exact = { text: 'exact', seqs: 'gapless', firstTokenInTime: true, error: undefined };

let server: TestServer;
let pageRoot: string;
let browser: Browser;
const nginxes = new Map<HostileNginx, Running>();

beforeAll(async () => {
  requirePrerequisites();
  const unlimited = 1_000_000;
  server = await startServer({
    provider: createTenSecondProvider(),
    runLimits: { maxConcurrentRuns: unlimited, maxConcurrentRunsPerPrincipal: unlimited, runsPerMinute: unlimited },
  });
  pageRoot = await buildAutoPage();
  for (const hostile of HOSTILE_NGINX) {
    nginxes.set(hostile, await startNginx({ backend: `127.0.0.1:${server.port}`, edit: hostile.edit, root: pageRoot }));
  }
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const nginx of nginxes.values()) await nginx.stop();
  await server?.close();
  if (pageRoot) rmSync(pageRoot, { recursive: true, force: true });
});

/**
 * The folder nginx serves as its root: the built UI, and /auto-page.html with ./auto-page.ts (the built SDK and the
 * outcome reader) bundled by Vite.
 */
async function buildAutoPage(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'chatwire-auto-page-'));
  // Readable by nginx's workers, which run as nobody when the tests run as root.
  chmodSync(root, 0o755);
  cpSync(UI_DIST, root, { recursive: true });
  await build({
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    root: resolve(here, '..'),
    build: {
      outDir: root,
      emptyOutDir: false,
      target: 'es2022',
      minify: false,
      lib: { entry: join(here, 'auto-page.ts'), formats: ['es'], fileName: () => 'auto-page.js' },
    },
  });
  writeFileSync(
    join(root, 'auto-page.html'),
    '<!doctype html><title>auto</title><script type="module">' +
      "import * as chatwire from '/auto-page.js'; window.chatwire = chatwire; document.title = 'ready';</script>",
  );
  return root;
}

/** TEN_SECOND_REQUEST made unique by `label`, with the text the model answers to it. */
async function requestFor(label: string) {
  const request = { ...TEN_SECOND_REQUEST, message: `${TEN_SECOND_REQUEST.message} (${label})` };
  return { request, expected: await answerOf(request) };
}

describe('mode: auto through hostile nginx, from Node', () => {
  it.concurrent.each(HOSTILE_NGINX)(
    'nginx that $name: exact text, first token in time, ends on $mode',
    async (hostile) => {
      const { request, expected } = await requestFor(`node, ${hostile.name}`);
      const client = createChatClient({ baseUrl: (nginxes.get(hostile) as Running).url });
      try {
        const outcome = await readOutcome(client.chat({ mode: 'auto', ...request }));
        expect(verdictOf(outcome, expected)).toEqual({ ...exact, mode: hostile.mode, fallbacks: hostile.fallbacks });
      } finally {
        client.close();
      }
    },
    60_000,
  );

  it.concurrent(
    'resume(id, { mode: auto }) through nginx that refuses WebSockets and buffers event streams',
    async () => {
      const hostile = HOSTILE_NGINX.find((item) => item.mode === 'polling') as HostileNginx;
      const { request, expected } = await requestFor('node, resumed');
      const client = createChatClient({ baseUrl: (nginxes.get(hostile) as Running).url });
      try {
        // Started by polling and left after a few tokens, then resumed from there in auto mode.
        let prefix = '';
        let after = -1;
        let runId = '';
        for await (const event of client.chat({ mode: 'polling', ...request })) {
          [runId, after] = [event.id, event.seq];
          if (event.type === 'token') prefix += event.text;
          if (after >= 10) break;
        }
        const outcome = await readOutcome(client.resume(runId, { mode: 'auto', after }));
        expect(verdictOf(outcome, expected.slice(prefix.length), after)).toEqual({
          ...exact,
          mode: 'polling',
          fallbacks: hostile.fallbacks,
        });
      } finally {
        client.close();
      }
    },
    60_000,
  );
});

describe('mode: auto through hostile nginx, in Chromium', () => {
  it.concurrent.each(HOSTILE_NGINX)(
    'nginx that $name: exact text, first token in time, ends on $mode, and the tab remembers it',
    async (hostile) => {
      const { request, expected } = await requestFor(`chromium, ${hostile.name}`);
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${(nginxes.get(hostile) as Running).url}/auto-page.html`);
        await page.waitForFunction(() => document.title === 'ready');
        const chat = (body: typeof request) =>
          page.evaluate(async (options): Promise<AutoOutcome> => {
            const { createChatClient: create, readOutcome: read } = (window as unknown as { chatwire: typeof AutoPage })
              .chatwire;
            const client = create({ baseUrl: location.origin });
            try {
              return await read(client.chat({ mode: 'auto', ...options }));
            } finally {
              client.close();
            }
          }, body);
        expect(verdictOf(await chat(request), expected)).toEqual({
          ...exact,
          mode: hostile.mode,
          fallbacks: hostile.fallbacks,
        });

        // What worked is kept in the tab's sessionStorage: after a reload, the next chat starts there, switching nothing.
        await page.reload();
        await page.waitForFunction(() => document.title === 'ready');
        const short = await requestFor(`chromium, ${hostile.name}, again`);
        const again = { ...short.request, max_tokens: 30 };
        expect(verdictOf(await chat(again), await answerOf(again))).toEqual({
          ...exact,
          mode: hostile.mode,
          fallbacks: [],
        });
      } finally {
        await context.close();
      }
    },
    60_000,
  );
});

describe('the web UI in auto mode through nginx that refuses WebSockets and buffers event streams', () => {
  it('delivers the answer by polling and says why it left the WebSocket, then SSE', async () => {
    const hostile = HOSTILE_NGINX.find((item) => item.mode === 'polling') as HostileNginx;
    const ui = await openUi(browser, (nginxes.get(hostile) as Running).url);
    try {
      await pickModel(ui.page, TEN_SECOND_MODEL);
      const reply = await sendChat(ui.page, 'auto', `${TEN_SECOND_REQUEST.message} (ui)`);
      await expect(waitForStatus(reply, ['done', 'error', 'stopped'], 45_000)).resolves.toBe('done');
      expect((await answerText(reply)).length).toBeGreaterThan(500);
      await expect(deliveryOf(reply)).resolves.toEqual({
        tag: 'Auto → Polling',
        delivered: 'polling',
        why: [
          'WebSocket → SSE: the WebSocket was refused',
          'SSE → Polling: something on the way held back the SSE stream',
        ],
      });
      // Chromium logs the refused upgrade; nothing else may go wrong on the page.
      expect(ui.errors.filter((error) => !/^console: WebSocket connection to .* failed/.test(error))).toEqual([]);
      expect(ui.dialogs).toEqual([]);
    } finally {
      await ui.close();
    }
  }, 60_000);
});
