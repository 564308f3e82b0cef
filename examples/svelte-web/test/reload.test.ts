/**
 * Issue 15: the chat is a `ChatSession` saved in the tab's sessionStorage. A question on a slow model (a fake Groq
 * behind the real reference server process, streaming for about ten seconds), the page reloaded while the answer
 * streams, through the repository's nginx in Chromium: the question and one whole answer are on the page, in SSE,
 * WebSocket and polling, and the server ran it once.
 */
import type { Browser, Page, Request, WebSocket } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_GROQ_API_KEY, startFakeGroq, type FakeGroq } from '../../../packages/server-kit/test/fake-groq/index.js';
import {
  launchChromium,
  requirePrerequisites,
  screenshot,
  startNginx,
  startReferenceServer,
  type Running,
} from './harness.js';
import { answerText, openUi, sendChat, TAB_LABEL, waitForStatus, type UiPage } from './page.js';

// A hundred numbered words, one chunk each, 100 ms apart: about ten seconds, and a word lost or repeated shows.
const TOKENS = Array.from({ length: 100 }, (_, index) => `word${index + 1} `);
// The fake answers every chat with these tokens, so the whole answer to any question is known.
const WHOLE_ANSWER = TOKENS.join('').trim();
const MODES = ['sse', 'ws', 'polling'] as const;
type ReloadMode = (typeof MODES)[number];

let fake: FakeGroq;
let server: Running;
let nginx: Running;
let browser: Browser;
let ui: UiPage | undefined;

beforeAll(async () => {
  requirePrerequisites();
  fake = await startFakeGroq({ tokens: TOKENS, delayMs: 100 });
  server = await startReferenceServer({
    CHATWIRE_PROVIDER: 'groq',
    GROQ_API_KEY: FAKE_GROQ_API_KEY,
    GROQ_BASE_URL: fake.url,
  });
  nginx = await startNginx({ backend: `127.0.0.1:${server.port}` });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await server?.stop();
  await fake?.close();
});

afterEach(async (context) => {
  if (!ui) return;
  const current = ui;
  ui = undefined;
  await screenshot(current.page, `reload-${context.task.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`);
  await current.close();
  expect(current.dialogs, 'no dialog opened').toEqual([]);
  expect(current.errors, 'no uncaught page error').toEqual([]);
});

describe('reloading the page while an answer streams', () => {
  it.each(MODES)(
    'in %s mode shows the question and the whole answer once, resumed in the same mode, from one run',
    async (mode) => {
      ui = await openUi(browser, nginx.url);
      const { page } = ui;
      await expect(page.locator('[data-provider]').textContent()).resolves.toBe('Groq');
      const runsBefore = await runsStarted();
      const upstreamBefore = fake.requests.length;
      const question = `What happens when I reload during ${mode}?`;

      const reply = await sendChat(page, mode, question);
      // A few seconds into the answer: the first words are on screen, most of it is still to come.
      await page.waitForFunction(
        (element) => (element.querySelector('.answer')?.textContent ?? '').includes('word15 '),
        await reply.elementHandle(),
        { polling: 50 },
      );
      const runId = await reply.getAttribute('data-run-id');
      expect(runId).toBeTruthy();
      await expect(reply.getAttribute('data-status')).resolves.toBe('streaming');

      const resumed = watchResume(page, mode, runId as string);
      await page.reload();

      // The conversation is back at once, the answer so far included, and still streaming.
      const restored = conversation(page).locator('article');
      const again = restored.last().locator('.reply');
      await page.waitForFunction(
        (element) => (element?.querySelector('.answer')?.textContent ?? '') !== '',
        await again.elementHandle(),
        { polling: 20 },
      );
      const early = (await answerText(again)).trim();
      expect(WHOLE_ANSWER.startsWith(early), early).toBe(true);
      expect(early.length).toBeLessThan(WHOLE_ANSWER.length);
      await expect(again.getAttribute('data-status')).resolves.toBe('streaming');
      await expect(
        page.getByRole('tab', { name: TAB_LABEL[mode], exact: true }).getAttribute('aria-selected'),
      ).resolves.toBe('true');

      await expect(waitForStatus(again, ['done', 'error', 'stopped'])).resolves.toBe('done');
      await expect(restored.count()).resolves.toBe(1);
      await expect(restored.locator('.user').textContent()).resolves.toBe(question);
      await expect(restored.locator('.reply').count()).resolves.toBe(1);
      expect((await answerText(again)).trim()).toBe(WHOLE_ANSWER);
      await expect(again.getAttribute('data-run-id')).resolves.toBe(runId);
      await expect(again.getAttribute('class')).resolves.toContain(`mode-${mode}`);
      // After the reload the page asked for the rest of that run, in its mode, from where it had got to.
      expect(await resumed).toBeGreaterThan(0);

      // One run on the server, one request to the model upstream.
      await expect(runsStarted()).resolves.toBe(runsBefore + 1);
      expect(fake.requests.length - upstreamBefore).toBe(1);
      expect(fake.requests.at(-1)?.body?.messages).toEqual([{ role: 'user', content: question }]);
    },
    60_000,
  );
});

function conversation(page: Page) {
  return page.getByRole('log', { name: 'Conversation' });
}

/** `chatwire_runs_started_total` on the server, all modes together. */
async function runsStarted(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return [...text.matchAll(/^chatwire_runs_started_total\{[^}]*\} (\d+)$/gm)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}

/**
 * Resolves with the seq the page, once reloaded, resumes run `runId` after, in `mode`: the SSE request's
 * `Last-Event-ID`, the first long poll's `after`, or the WebSocket's `resume` frame.
 */
function watchResume(page: Page, mode: ReloadMode, runId: string): Promise<number> {
  // What the page did before the reload (its own long polls of the run) does not count.
  let reloaded = false;
  page.once('framenavigated', () => (reloaded = true));
  return new Promise((resolve) => {
    if (mode === 'ws') {
      const onSocket = (socket: WebSocket): void => {
        socket.on('framesent', ({ payload }) => {
          const frame = JSON.parse(String(payload)) as { type?: string; id?: string; after?: number };
          if (frame.type === 'resume' && frame.id === runId) resolve(frame.after ?? -1);
        });
      };
      page.on('websocket', onSocket);
      return;
    }
    const onRequest = (request: Request): void => {
      if (!reloaded) return;
      const url = new URL(request.url());
      if (mode === 'sse' && url.pathname === `/api/sse/chat/${runId}`) {
        void request.allHeaders().then((headers) => resolve(Number(headers['last-event-id'])));
      } else if (mode === 'polling' && url.pathname === `/api/async/status/${runId}`) {
        page.off('request', onRequest);
        resolve(Number(url.searchParams.get('after')));
      }
    };
    page.on('request', onRequest);
  });
}
