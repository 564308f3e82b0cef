/**
 * The UI in front of a keyed server (`CHATWIRE_API_KEYS`), through the repository's nginx, in Chromium: the first 401
 * asks for a key in the page, a wrong key is refused in so many words, the right one makes every mode work (HTTP with a
 * bearer token, the WebSocket through a ticket), and the key lives in the tab's sessionStorage and nowhere else: no
 * URL, no localStorage, no console, no page text.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, BrowserContextOptions, Page, Request, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  requirePrerequisites,
  screenshot,
  startNginx,
  startReferenceServer,
  type Running,
} from './harness.js';
import { answerText, deliveryOf, sendChat, TAB_LABEL, waitForStatus, type UiMode } from './page.js';

const KEY = `cwk-${randomBytes(24).toString('base64url')}`;
const WRONG_KEY = `cwk-${randomBytes(24).toString('base64url')}`;
const MODES = ['sync', 'polling', 'sse', 'ws'] as const;
/** The request that carries a chat of each mode (ws: the ticket the socket is opened with). */
const MODE_PATH: Record<Exclude<UiMode, 'auto'>, string> = {
  sync: '/api/sync/chat',
  polling: '/api/async/chat',
  sse: '/api/sse/chat',
  ws: '/api/ws/ticket',
};
const FORM_NAME = 'This server needs an API key';

let server: Running;
let nginx: Running;
let browser: Browser;
let ui: KeyedPage | undefined;

beforeAll(async () => {
  requirePrerequisites();
  server = await startReferenceServer({ CHATWIRE_API_KEYS: KEY });
  nginx = await startNginx({ backend: `127.0.0.1:${server.port}` });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await server?.stop();
});

afterEach(async (context) => {
  if (!ui) return;
  const current = ui;
  ui = undefined;
  try {
    await screenshot(current.page, `api-key-${context.task.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`);
    await expectKeyKeptSecret(current);
  } finally {
    await current.context.close();
  }
});

describe('the web UI with a keyed server through nginx', () => {
  it('asks for a key in the page after the first 401, in a labelled password field', async () => {
    ui = await openKeyed(browser, nginx.url);
    const { page } = ui;
    await keyForm(page).waitFor();
    await expect(keyForm(page).textContent()).resolves.toContain('CHATWIRE_API_KEYS');
    await expect(page.getByLabel('API key', { exact: true }).getAttribute('type')).resolves.toBe('password');
    // The form is there because the models list was refused, not because of a network failure.
    const models = ui.responses.filter((response) => new URL(response.url()).pathname === '/api/models');
    expect(models.map((response) => response.status())).toEqual([401]);
    await expect(page.getByText('Cannot reach the chatwire server').count()).resolves.toBe(0);
    await expect(page.getByLabel('Model').locator('option').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Forget key' }).count()).resolves.toBe(0);
  });

  it('refuses a wrong key with a clear message and keeps none of it, then takes the right one', async () => {
    ui = await openKeyed(browser, nginx.url);
    const { page } = ui;
    await enterKey(page, WRONG_KEY);
    await expect(page.getByRole('alert').filter({ hasText: 'This key was refused' }).isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('API key', { exact: true }).inputValue()).resolves.toBe('');
    await expect(storedKeys(page)).resolves.toEqual({ session: [], local: [] });
    await expect(page.getByLabel('Model').locator('option').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Forget key' }).count()).resolves.toBe(0);
    const tried = await apiRequests(ui, '/api/models');
    expect(tried.some((request) => request.authorization === `Bearer ${WRONG_KEY}` && request.status === 401)).toBe(
      true,
    );

    // Something that cannot travel in a header is not sent at all.
    await enterKey(page, 'two words');
    await expect(page.getByRole('alert').filter({ hasText: 'That is not an API key' }).isVisible()).resolves.toBe(true);
    expect((await apiRequests(ui)).some((request) => request.authorization?.includes('two words'))).toBe(false);

    await enterKey(page, KEY);
    await keyForm(page).waitFor({ state: 'detached' });
    await page.getByLabel('Model').locator('option').first().waitFor({ state: 'attached' });
    await expect(page.getByRole('button', { name: 'Forget key' }).isVisible()).resolves.toBe(true);
  });

  it.each(MODES)(
    'runs a message refused for want of a key once the key is entered, then chats in %s mode',
    async (mode) => {
      ui = await openKeyed(browser, nginx.url);
      const { page } = ui;
      await keyForm(page).waitFor();
      const refused = await sendChat(page, mode, `How does ${mode} work?`);
      // ws included: the browser only sees a failed upgrade, and the UI finds out that it lacked a key.
      await expect(waitForStatus(refused, ['error', 'done', 'stopped'])).resolves.toBe('error');
      // What the user reads once the UI has looked (a ws failure takes a request to the server to explain).
      await refused.getByText('the server needs an API key').waitFor({ timeout: 10_000 });
      expect(await refused.textContent()).not.toContain('could not connect');

      await enterKey(page, KEY);
      await keyForm(page).waitFor({ state: 'detached' });
      await expect(waitForStatus(refused, ['done', 'error', 'stopped'])).resolves.toBe('done');
      expect((await answerText(refused)).length).toBeGreaterThan(20);
      const next = await sendChat(page, mode, 'And what does it cost?');
      await expect(waitForStatus(next, ['done', 'error', 'stopped'])).resolves.toBe('done');
      await expect(page.getByRole('log', { name: 'Conversation' }).locator('article').count()).resolves.toBe(2);

      const keyed = (await apiRequests(ui, MODE_PATH[mode])).filter(
        (request) => request.authorization === `Bearer ${KEY}`,
      );
      // The refused message and the next one, each with the key as a bearer token (ws: one ticket per socket opened).
      expect(keyed.length).toBeGreaterThanOrEqual(mode === 'ws' ? 1 : 2);
      expect(keyed.every((request) => request.status !== undefined && request.status < 300)).toBe(true);
      if (mode === 'ws') {
        const ticketed = ui.sockets.filter((socket) => new URL(socket.url).searchParams.has('ticket'));
        expect(ticketed.length).toBeGreaterThan(0);
        // Both answers arrived on ticketed sockets.
        const done = ticketed.flatMap((socket) => socket.frames).filter((frame) => frame.includes('"type":"done"'));
        expect(done).toHaveLength(2);
      } else {
        expect(ui.sockets).toEqual([]);
      }
    },
  );

  it('runs a message refused for want of a key in the default Auto tab once the key is entered, on the WebSocket', async () => {
    ui = await openKeyed(browser, nginx.url);
    const { page } = ui;
    await keyForm(page).waitFor();
    const refused = await sendChat(page, 'auto', 'How does auto mode work?');
    await expect(waitForStatus(refused, ['error', 'done', 'stopped'])).resolves.toBe('error');
    // What the user reads once the UI has looked (a ws failure takes a request to the server to explain).
    await refused.getByText('the server needs an API key').waitFor({ timeout: 10_000 });
    expect(await refused.textContent()).not.toContain('could not connect');

    await enterKey(page, KEY);
    await keyForm(page).waitFor({ state: 'detached' });
    await expect(waitForStatus(refused, ['done', 'error', 'stopped'])).resolves.toBe('done');
    expect((await answerText(refused)).length).toBeGreaterThan(20);
    // The upgrade refused for want of a key says nothing about this network: with the key, auto is on the WebSocket.
    await expect(deliveryOf(refused)).resolves.toEqual({ tag: 'Auto → WebSocket', delivered: 'ws', why: [] });
    const next = await sendChat(page, 'auto', 'And what does it cost?');
    await expect(waitForStatus(next, ['done', 'error', 'stopped'])).resolves.toBe('done');
    await expect(deliveryOf(next)).resolves.toEqual({ tag: 'Auto → WebSocket', delivered: 'ws', why: [] });
    const ticketed = ui.sockets.filter((socket) => new URL(socket.url).searchParams.has('ticket'));
    const done = ticketed.flatMap((socket) => socket.frames).filter((frame) => frame.includes('"type":"done"'));
    expect(done).toHaveLength(2);
  });

  it('keeps the key in the tab: a reload still chats, a new tab asks again, Forget key removes it', async () => {
    ui = await openKeyed(browser, nginx.url);
    const { page, context } = ui;
    await enterKey(page, KEY);
    await page.getByLabel('Model').locator('option').first().waitFor({ state: 'attached' });
    await expect(storedKeys(page)).resolves.toEqual({ session: [KEY], local: [] });
    await expect(page.evaluate(() => document.cookie)).resolves.toBe('');

    await page.reload();
    await page.getByLabel('Model').locator('option').first().waitFor({ state: 'attached' });
    await expect(keyForm(page).count()).resolves.toBe(0);
    const afterReload = await sendChat(page, 'ws', 'Hello again');
    await expect(waitForStatus(afterReload, ['done', 'error', 'stopped'])).resolves.toBe('done');

    const otherTab = await context.newPage();
    try {
      await otherTab.goto(nginx.url);
      await keyForm(otherTab).waitFor();
      await expect(storedKeys(otherTab)).resolves.toEqual({ session: [], local: [] });
    } finally {
      await otherTab.close();
    }

    const before = (await apiRequests(ui)).length;
    await page.getByRole('button', { name: 'Forget key' }).click();
    await keyForm(page).waitFor();
    await expect(keyForm(page).textContent()).resolves.not.toContain('This key was refused');
    await expect(storedKeys(page)).resolves.toEqual({ session: [], local: [] });
    await expect(page.getByRole('button', { name: 'Forget key' }).count()).resolves.toBe(0);
    const refused = await sendChat(page, 'sse', 'Anyone there?');
    await expect(waitForStatus(refused, ['error', 'done', 'stopped'])).resolves.toBe('error');
    const sinceForget = (await apiRequests(ui)).slice(before);
    expect(sinceForget.map((request) => request.path)).toEqual(
      expect.arrayContaining(['/api/models', '/api/sse/chat']),
    );
    for (const request of sinceForget) {
      expect(request.authorization, request.path).toBeUndefined();
      expect(request.status, request.path).toBe(401);
    }

    await enterKey(page, KEY);
    await expect(waitForStatus(refused, ['done', 'error', 'stopped'])).resolves.toBe('done');
  });

  it('runs the Compare view in all four modes once the key is entered, the refused columns included', async () => {
    ui = await openKeyed(browser, `${nginx.url}/#compare`);
    const { page } = ui;
    await keyForm(page).waitFor();
    const box = page.getByRole('textbox', { name: 'Prompt for all four modes' });
    await box.fill('Compare polling and SSE, with a short list');
    await box.press('Enter');
    const column = (mode: UiMode) => page.getByRole('region', { name: `${TAB_LABEL[mode]} column` }).locator('.reply');
    for (const mode of MODES) {
      await expect(waitForStatus(column(mode), ['error', 'done', 'stopped']), mode).resolves.toBe('error');
    }
    await enterKey(page, KEY);
    const answers: string[] = [];
    for (const mode of MODES) {
      await expect(waitForStatus(column(mode), ['done', 'error', 'stopped']), mode).resolves.toBe('done');
      answers.push(await answerText(column(mode)));
    }
    expect(answers[0]?.length).toBeGreaterThan(50);
    // The simulated model is deterministic: every mode delivered the same answer.
    expect(new Set(answers).size).toBe(1);
    expect(ui.sockets.some((socket) => new URL(socket.url).searchParams.has('ticket'))).toBe(true);
  });

  it('fits a phone-sized screen with the key form, then with Forget key in the header', async () => {
    ui = await openKeyed(browser, nginx.url, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const { page } = ui;
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await keyForm(page).waitFor();
    await expect(overflow()).resolves.toBeLessThanOrEqual(0);
    await enterKey(page, KEY);
    await page.getByRole('button', { name: 'Forget key' }).waitFor();
    await expect(overflow()).resolves.toBeLessThanOrEqual(0);
    const reply = await sendChat(page, 'ws', 'Hello from a phone');
    await expect(waitForStatus(reply, ['done', 'error', 'stopped'])).resolves.toBe('done');
  });
});

/** A page that records every request, response, WebSocket, console message, page error and dialog. */
interface KeyedPage {
  page: Page;
  context: BrowserContext;
  requests: Request[];
  responses: Response[];
  sockets: Array<{ url: string; frames: string[] }>;
  messages: string[];
  pageErrors: string[];
  dialogs: string[];
}

async function openKeyed(browser: Browser, url: string, options: BrowserContextOptions = {}): Promise<KeyedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const keyed: KeyedPage = {
    page,
    context,
    requests: [],
    responses: [],
    sockets: [],
    messages: [],
    pageErrors: [],
    dialogs: [],
  };
  page.on('request', (request) => keyed.requests.push(request));
  page.on('response', (response) => keyed.responses.push(response));
  page.on('websocket', (socket) => {
    const record = { url: socket.url(), frames: [] as string[] };
    keyed.sockets.push(record);
    socket.on('framereceived', ({ payload }) => record.frames.push(String(payload)));
  });
  page.on('console', (message) => keyed.messages.push(message.text()));
  page.on('pageerror', (error) => keyed.pageErrors.push(`${error.message}\n${error.stack ?? ''}`));
  page.on('dialog', (dialog) => {
    keyed.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(url);
  return keyed;
}

function keyForm(page: Page) {
  return page.getByRole('form', { name: FORM_NAME });
}

async function enterKey(page: Page, key: string): Promise<void> {
  const field = page.getByLabel('API key', { exact: true });
  await field.fill(key);
  await field.press('Enter');
  // Until the server has answered the check, the button says so.
  await page.waitForFunction(() => document.querySelector('form[aria-busy="true"]') === null);
}

/**
 * The values of the page's sessionStorage that hold either key (the tab keeps its conversation there too), and
 * everything in its localStorage.
 */
async function storedKeys(page: Page): Promise<{ session: string[]; local: string[] }> {
  return page.evaluate(
    (keys) => ({
      session: Object.values(window.sessionStorage).filter((value) => keys.some((key) => value.includes(key))),
      local: Object.values(window.localStorage),
    }),
    [KEY, WRONG_KEY],
  );
}

/** The page's API requests (those to `path` if given), in order, with their `Authorization` header and status. */
async function apiRequests(
  keyed: KeyedPage,
  path?: string,
): Promise<Array<{ path: string; authorization: string | undefined; status: number | undefined }>> {
  const api = keyed.requests.filter((request) => {
    const pathname = new URL(request.url()).pathname;
    return pathname.startsWith('/api/') && (path === undefined || pathname === path);
  });
  return Promise.all(
    api.map(async (request) => ({
      path: new URL(request.url()).pathname,
      authorization: (await request.allHeaders()).authorization,
      status: (await request.response())?.status(),
    })),
  );
}

/** The key went nowhere but the Authorization header and sessionStorage. */
async function expectKeyKeptSecret(keyed: KeyedPage): Promise<void> {
  const { page } = keyed;
  for (const key of [KEY, WRONG_KEY]) {
    for (const request of keyed.requests) expect(request.url(), 'a request URL').not.toContain(key);
    for (const socket of keyed.sockets) expect(socket.url, 'a WebSocket URL').not.toContain(key);
    for (const message of keyed.messages) expect(message, 'a console message').not.toContain(key);
    expect(page.url(), 'the page URL').not.toContain(key);
    await expect(page.content(), 'the page').resolves.not.toContain(key);
    const stored = await storedKeys(page);
    expect(stored.local.join('\n'), 'localStorage').not.toContain(key);
  }
  expect(keyed.pageErrors, 'no uncaught page error').toEqual([]);
  expect(keyed.dialogs, 'no dialog opened').toEqual([]);
}
