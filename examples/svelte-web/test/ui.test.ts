/**
 * The built Svelte UI, served by the repository's nginx.conf in a real nginx in front of the real reference server
 * process, driven in Debian's Chromium: what the `web` and `backend` containers run, without Docker.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  requirePrerequisites,
  screenshot,
  startNginx,
  startReferenceServer,
  type Running,
} from './harness.js';
import { refuseWebSockets } from './hostile-nginx.js';
import {
  answerText,
  deliveryOf,
  openUi,
  pickModel,
  sendChat,
  TAB_LABEL,
  waitForStatus,
  watchGrowth,
  type UiMode,
  type UiPage,
} from './page.js';

// ~500 tokens/s with a few hundred ms before the first: slow enough to see an answer grow and to stop it midway.
const SLOW_MODEL = 'sim/gpt-oss-120b';
const LONG_PROMPT = 'Explain in detail, step by step, how streaming works, with a code example';
const STREAMING_MODES: UiMode[] = ['auto', 'polling', 'sse', 'ws'];
/** What Chromium logs for each WebSocket it could not open: expected where a test refuses or cuts the socket. */
const REFUSED_SOCKET = /^console: WebSocket connection to 'ws:\/\/[^']+\/ws\/chat[^']*' failed/;

let server: Running;
let nginx: Running;
let browser: Browser;
let ui: UiPage | undefined;

beforeAll(async () => {
  requirePrerequisites();
  server = await startReferenceServer();
  nginx = await startNginx({ backend: `127.0.0.1:${server.port}` });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await server?.stop();
});

afterEach(async (context) => {
  if (ui) {
    const name = `${context.task.suite?.name ?? ''} ${context.task.name}`;
    await screenshot(
      ui.page,
      name
        .replace(/[^a-z0-9]+/gi, '-')
        .replace(/^-|-$/g, '')
        .toLowerCase(),
    );
    const { errors, dialogs } = ui;
    await ui.close();
    ui = undefined;
    expect(dialogs, 'no dialog opened').toEqual([]);
    expect(errors, 'no uncaught page error').toEqual([]);
  }
});

describe('the chat view through nginx', () => {
  it('opens on the Auto tab, and a chat in auto ends on the WebSocket with no fallback', async () => {
    ui = await openUi(browser, nginx.url);
    const { page } = ui;
    const tabs = page.getByRole('tab');
    await expect(tabs.allTextContents().then((labels) => labels.map((label) => label.trim()))).resolves.toEqual([
      'Auto',
      'Sync',
      'Polling',
      'SSE',
      'WebSocket',
    ]);
    await expect(tabs.first().getAttribute('aria-selected')).resolves.toBe('true');
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    // No tab clicked: the default is what a user gets.
    const box = page.getByRole('textbox', { name: 'Message', exact: true });
    await box.fill('What is long polling?');
    await box.press('Enter');
    const reply = page.getByRole('log', { name: 'Conversation' }).locator('article').last().locator('.reply');
    await expect(waitForStatus(reply, ['done', 'error', 'stopped'])).resolves.toBe('done');
    expect((await answerText(reply)).length).toBeGreaterThan(20);
    await expect(reply.getAttribute('class')).resolves.toContain('mode-auto');
    await expect(deliveryOf(reply)).resolves.toEqual({ tag: 'Auto → WebSocket', delivered: 'ws', why: [] });
    expect(sockets).toHaveLength(1);
    await expect(page.locator('[data-state]').getAttribute('data-state')).resolves.toBe('open');
  });

  it('shows that the server runs the simulated model and offers its models', async () => {
    ui = await openUi(browser, nginx.url);
    const { page } = ui;
    await expect(page.locator('[data-provider]').textContent()).resolves.toBe('Simulated model');
    const models = await page.getByLabel('Model').locator('option').allTextContents();
    expect(models).toEqual(expect.arrayContaining(['sim/gpt-oss-20b', SLOW_MODEL, 'sim/instant']));
    await expect(page.getByLabel('Model').inputValue()).resolves.toBe('sim/gpt-oss-20b');
  });

  it.each(STREAMING_MODES)('streams an answer in %s mode: the text grows, then renders as markdown', async (mode) => {
    ui = await openUi(browser, nginx.url);
    await pickModel(ui.page, SLOW_MODEL);
    const reply = await sendChat(ui.page, mode, LONG_PROMPT);
    const { lengths, status } = await watchGrowth(reply);
    expect(status).toBe('done');
    // Many intermediate lengths: the answer appeared piece by piece, not all at once.
    expect(lengths.length).toBeGreaterThanOrEqual(3);
    await expectMarkdownAnswer(reply);
    await expect(reply.getAttribute('class')).resolves.toContain(`mode-${mode}`);
    // Through this nginx auto mode has no reason to leave the WebSocket.
    await expect(deliveryOf(reply)).resolves.toMatchObject({ delivered: mode === 'auto' ? 'ws' : mode, why: [] });
  });

  it('answers in sync mode all at once', async () => {
    ui = await openUi(browser, nginx.url);
    await pickModel(ui.page, SLOW_MODEL);
    const reply = await sendChat(ui.page, 'sync', LONG_PROMPT);
    const { lengths, status } = await watchGrowth(reply);
    expect(status).toBe('done');
    expect(lengths).toHaveLength(1);
    await expectMarkdownAnswer(reply);
  });

  it('keeps a multi-turn history, sends it with the next message, and leaves earlier answers untouched', async () => {
    ui = await openUi(browser, nginx.url);
    const { page } = ui;
    const first = await sendChat(page, 'sse', 'What is long polling?');
    await waitForStatus(first, ['done']);
    // Record any change to the first answer while the second one streams: there must be none.
    await first.evaluate((element) => {
      const changes: MutationRecord[] = [];
      new MutationObserver((records) => changes.push(...records)).observe(element, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      });
      (window as { firstAnswerChanges?: MutationRecord[] }).firstAnswerChanges = changes;
    });
    const request = page.waitForRequest((each) => each.url().endsWith('/api/sse/chat'));
    const second = await sendChat(page, 'sse', 'And how does it compare with SSE?');
    const body = (await request).postDataJSON() as { messages: Array<{ role: string; content: string }> };
    expect(body.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(body.messages[0]?.content).toBe('What is long polling?');
    expect(body.messages[1]?.content.length).toBeGreaterThan(20);
    await waitForStatus(second, ['done']);
    await expect(page.getByRole('log', { name: 'Conversation' }).locator('article').count()).resolves.toBe(2);
    // The streaming answer re-rendered alone: the earlier one was never touched.
    await expect(
      page.evaluate(() => (window as { firstAnswerChanges?: MutationRecord[] }).firstAnswerChanges?.length),
    ).resolves.toBe(0);
  });

  it('regenerates the last answer: a new run for the same conversation, in place of the old answer', async () => {
    ui = await openUi(browser, nginx.url);
    const { page } = ui;
    await waitForStatus(await sendChat(page, 'sse', 'What is long polling?'), ['done']);
    const second = await sendChat(page, 'sse', 'And how does it compare with SSE?');
    await waitForStatus(second, ['done']);
    const before = { runId: await second.getAttribute('data-run-id'), text: await answerText(second) };

    const request = page.waitForRequest((each) => each.url().endsWith('/api/sse/chat'));
    await page.getByRole('button', { name: 'Regenerate' }).click();
    const body = (await request).postDataJSON() as { messages: Array<{ role: string; content: string }> };
    // The conversation up to the last question, without the answer being replaced.
    expect(body.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(body.messages[2]?.content).toBe('And how does it compare with SSE?');
    await page.waitForFunction(
      ([element, runId]) =>
        (element as HTMLElement).dataset.runId !== runId && (element as HTMLElement).dataset.status === 'done',
      [await second.elementHandle(), before.runId] as const,
    );
    await expect(conversation(page).locator('article').count()).resolves.toBe(2);
    await expect(conversation(page).locator('.reply').count()).resolves.toBe(2);
    // The simulated model answers the same conversation with the same words.
    expect(await answerText(second)).toBe(before.text);
    await expect(page.getByRole('button', { name: 'Regenerate' }).count()).resolves.toBe(1);
  });

  it('edits a message and sends it again: what came after it is dropped, and a new answer streams', async () => {
    ui = await openUi(browser, nginx.url);
    const { page } = ui;
    const turns = conversation(page).locator('article');
    await waitForStatus(await sendChat(page, 'sse', 'What is long polling?'), ['done']);
    const firstAnswer = await answerText(turns.first().locator('.reply'));
    await waitForStatus(await sendChat(page, 'sse', 'And how does it compare with SSE?'), ['done']);

    // Escape leaves the message as it was.
    await page.getByRole('button', { name: 'Edit message 1' }).click();
    const box = page.getByRole('textbox', { name: 'Edit message 1' });
    await expect(box.inputValue()).resolves.toBe('What is long polling?');
    await box.press('Escape');
    await expect(box.count()).resolves.toBe(0);
    await expect(
      page.getByRole('button', { name: 'Edit message 1' }).evaluate((button) => button === document.activeElement),
    ).resolves.toBe(true);
    await expect(turns.count()).resolves.toBe(2);

    await page.getByRole('button', { name: 'Edit message 1' }).click();
    await box.fill('What is a WebSocket?');
    const request = page.waitForRequest((each) => each.url().endsWith('/api/sse/chat'));
    await box.press('Enter');
    const body = (await request).postDataJSON() as { messages: Array<{ role: string; content: string }> };
    expect(body.messages).toEqual([{ role: 'user', content: 'What is a WebSocket?' }]);
    // The request may leave before the page has drawn the edit.
    await turns.nth(1).waitFor({ state: 'detached' });
    await expect(turns.count()).resolves.toBe(1);
    await expect(turns.locator('.user').textContent()).resolves.toBe('What is a WebSocket?');
    const reply = turns.locator('.reply');
    await expect(waitForStatus(reply, ['done', 'error', 'stopped'])).resolves.toBe('done');
    const answer = await answerText(reply);
    expect(answer.length).toBeGreaterThan(20);
    expect(answer).not.toBe(firstAnswer);
  });

  it.each(STREAMING_MODES)('Stop cancels the run on the server in %s mode', async (mode) => {
    ui = await openUi(browser, nginx.url);
    const { page } = ui;
    await pickModel(page, SLOW_MODEL);
    const reply = await sendChat(page, mode, LONG_PROMPT);
    // The answer lasts about two seconds. On a loaded machine, polling on animation frames and click()'s wait for a
    // stable button let it end before the Stop (2 runs in 5 failed so): poll on a timer, and click at once.
    await page.waitForFunction(
      (element) => (element as HTMLElement).dataset.status === 'streaming' && (element.textContent ?? '').length > 0,
      await reply.elementHandle(),
      { polling: 20 },
    );
    await page.getByRole('button', { name: 'Stop' }).dispatchEvent('click');
    await expect(waitForStatus(reply, ['stopped', 'done', 'error'])).resolves.toBe('stopped');
    await expect(reply.getByText('Stopped').isVisible()).resolves.toBe(true);
    const runId = await reply.getAttribute('data-run-id');
    expect(runId).toBeTruthy();
    const run = (await (await fetch(`${nginx.url}/api/runs/${runId}`)).json()) as { status: string; partial: string };
    expect(run.status).toBe('cancelled');
    // What the user sees is what the server produced before the cancel, and it no longer grows.
    const shown = await answerText(reply);
    await page.waitForTimeout(300);
    expect(await answerText(reply)).toBe(shown);
    await expect(page.getByRole('button', { name: 'Send' }).isVisible()).resolves.toBe(true);
  });

  it('Stop ends a sync request too', async () => {
    ui = await openUi(browser, nginx.url);
    const { page } = ui;
    await pickModel(page, SLOW_MODEL);
    const reply = await sendChat(page, 'sync', LONG_PROMPT);
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect(waitForStatus(reply, ['stopped', 'done', 'error'])).resolves.toBe('stopped');
    expect(await answerText(reply)).toBe('');
  });

  it('is keyboard-operable: Shift+Enter adds a line, Enter sends, arrow keys, Home and End change the tab', async () => {
    ui = await openUi(browser, nginx.url);
    const { page } = ui;
    const box = page.getByRole('textbox', { name: 'Message', exact: true });
    await box.focus();
    await page.keyboard.type('first line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    await expect(box.inputValue()).resolves.toBe('first line\nsecond line');
    await expect(page.getByRole('log', { name: 'Conversation' }).locator('article').count()).resolves.toBe(0);

    // The keyboard enters the tab list on the selected tab, Auto; selection follows the focus.
    await page.getByRole('tab', { name: TAB_LABEL.auto, exact: true }).focus();
    const tabs = async () => ({
      selected: (await page.getByRole('tab', { selected: true }).textContent())?.trim(),
      focused: await page.evaluate(() => document.activeElement?.textContent?.trim()),
    });
    await page.keyboard.press('ArrowRight');
    await expect(tabs()).resolves.toEqual({ selected: 'Sync', focused: 'Sync' });
    await page.keyboard.press('End');
    await expect(tabs()).resolves.toEqual({ selected: 'WebSocket', focused: 'WebSocket' });
    await page.keyboard.press('Home');
    await expect(tabs()).resolves.toEqual({ selected: 'Auto', focused: 'Auto' });
    // Left of the first tab is the last one.
    await page.keyboard.press('ArrowLeft');
    await expect(tabs()).resolves.toEqual({ selected: 'WebSocket', focused: 'WebSocket' });

    await box.focus();
    await page.keyboard.press('Enter');
    const reply = page.getByRole('log', { name: 'Conversation' }).locator('article').last();
    await expect(reply.locator('.user').textContent()).resolves.toBe('first line\nsecond line');
    await expect(waitForStatus(reply.locator('.reply'), ['done'])).resolves.toBe('done');
    await expect(reply.locator('.reply').getAttribute('class')).resolves.toContain('mode-ws');
    await expect(box.inputValue()).resolves.toBe('');
  });

  it('fits a phone-sized screen', async () => {
    ui = await openUi(browser, nginx.url, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const { page } = ui;
    const reply = await sendChat(page, 'ws', 'Give me a list of tips with a code example');
    await waitForStatus(reply, ['done']);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    for (const name of ['Message', 'Model']) {
      const box = await page.getByLabel(name, { exact: true }).boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 390, `${name} is on screen`).toBe(true);
    }
  });
});

describe('the WebSocket connection', () => {
  it('shows its state, and a dropped connection resumes the answer with nothing lost', async () => {
    ui = await openUi(browser, nginx.url);
    const { page } = ui;
    const badge = page.locator('[data-state]');
    await expect(badge.textContent()).resolves.toContain('idle');
    await pickModel(page, SLOW_MODEL);
    const reply = await sendChat(page, 'ws', LONG_PROMPT);
    await page.waitForFunction(
      (element) => (element as HTMLElement).dataset.status === 'streaming' && (element.textContent ?? '').length > 0,
      await reply.elementHandle(),
    );
    await expect(badge.getAttribute('data-state')).resolves.toBe('open');
    await expect(badge.textContent()).resolves.toContain('connected');

    // Cut every connection: nginx goes away mid-answer, then comes back on the same port.
    const port = nginx.port;
    await nginx.stop();
    try {
      await page.waitForFunction(
        () => document.querySelector('[data-state]')?.getAttribute('data-state') === 'reconnecting',
      );
      await expect(badge.textContent()).resolves.toContain('reconnecting');
    } finally {
      // Back whatever happened above, so the tests after this one still have their nginx.
      nginx = await startNginx({ backend: `127.0.0.1:${server.port}`, port });
    }
    await expect(waitForStatus(reply, ['done', 'error', 'stopped'])).resolves.toBe('done');
    await expect(badge.getAttribute('data-state')).resolves.toBe('open');
    await expect(reply.getByText(/resumed/).isVisible()).resolves.toBe(true);
    const resumed = await answerText(reply);

    // The same conversation again, undisturbed: the simulated model is deterministic, so the texts must match.
    await page.getByRole('button', { name: 'New chat' }).click();
    const fresh = await sendChat(page, 'ws', LONG_PROMPT);
    await waitForStatus(fresh, ['done']);
    expect(resumed.length).toBeGreaterThan(200);
    expect(resumed).toBe(await answerText(fresh));
    // Chromium itself logs each reconnection attempt refused while nginx was down: expected here, and only that.
    ui.errors.splice(0, ui.errors.length, ...ui.errors.filter((error) => !REFUSED_SOCKET.test(error)));
  });
});

describe('auto mode through an nginx that refuses WebSocket upgrades', () => {
  it('ends on SSE and says the WebSocket was refused; the next chat starts there and says why', async () => {
    const refusing = await startNginx({ backend: `127.0.0.1:${server.port}`, edit: refuseWebSockets });
    try {
      ui = await openUi(browser, refusing.url);
      const { page } = ui;
      await pickModel(page, SLOW_MODEL);
      const first = await sendChat(page, 'auto', LONG_PROMPT);
      const { lengths, status } = await watchGrowth(first);
      expect(status).toBe('done');
      expect(lengths.length).toBeGreaterThanOrEqual(3);
      await expectMarkdownAnswer(first);
      await expect(deliveryOf(first)).resolves.toEqual({
        tag: 'Auto → SSE',
        delivered: 'sse',
        why: ['WebSocket → SSE: the WebSocket was refused'],
      });
      await expect(first.getByText('WebSocket → SSE: the WebSocket was refused').isVisible()).resolves.toBe(true);

      // What worked is remembered for this server: the next chat goes straight to SSE, and the reply says so.
      const sseRequests: string[] = [];
      page.on('request', (request) => {
        if (new URL(request.url()).pathname === '/api/sse/chat') sseRequests.push(request.url());
      });
      const second = await sendChat(page, 'auto', 'And in short?');
      await expect(waitForStatus(second, ['done', 'error', 'stopped'])).resolves.toBe('done');
      const delivery = await deliveryOf(second);
      expect(delivery).toMatchObject({ tag: 'Auto → SSE', delivered: 'sse' });
      expect(delivery.why).toEqual([expect.stringMatching(/^Started on SSE: an earlier chat fell back to it/)]);
      expect(sseRequests).toHaveLength(1);
      // Chromium logs the refused upgrade: expected here, and only that.
      ui.errors.splice(0, ui.errors.length, ...ui.errors.filter((error) => !REFUSED_SOCKET.test(error)));
    } finally {
      await refusing.stop();
    }
  });
});

describe('the Compare view through nginx', () => {
  it('sends one prompt in all four modes and fills every column with its answer, stats and chart', async () => {
    ui = await openUi(browser, `${nginx.url}/#compare`);
    const { page } = ui;
    const box = page.getByRole('textbox', { name: 'Prompt for all four modes' });
    await box.fill('Compare polling and SSE, with a short list');
    await box.press('Enter');
    const columns = page.locator('section[data-mode]');
    await expect(columns.count()).resolves.toBe(4);
    for (const mode of ['sync', 'polling', 'sse', 'ws'] as const) {
      const column = page.getByRole('region', { name: `${TAB_LABEL[mode]} column` });
      await expect(waitForStatus(column.locator('.reply'), ['done', 'error', 'stopped'])).resolves.toBe('done');
    }
    const rows = await columns.evaluateAll((sections) =>
      sections.map((section) => ({
        mode: section.getAttribute('data-mode'),
        answer: section.querySelector('.answer')?.textContent ?? '',
        ttft: section.querySelector('[data-stat=ttft]')?.textContent ?? '',
        total: section.querySelector('[data-stat=total]')?.textContent ?? '',
        requests: Number(section.querySelector('[data-stat=requests]')?.textContent),
        bytes: section.querySelector('[data-stat=bytes]')?.textContent ?? '',
      })),
    );
    expect(rows.map((row) => row.mode)).toEqual(['sync', 'polling', 'sse', 'ws']);
    for (const row of rows) {
      expect(row.answer.length, `${row.mode} answer`).toBeGreaterThan(50);
      // Every mode delivered the same deterministic answer.
      expect(row.answer, `${row.mode} answer`).toBe(rows[0]?.answer);
      expect(row.ttft, `${row.mode} first token`).toMatch(/^\d+(\.\d+)? m?s$/);
      expect(row.total, `${row.mode} total`).toMatch(/^\d+(\.\d+)? m?s$/);
      expect(row.bytes, `${row.mode} bytes`).toMatch(/^\d+(\.\d+)? (B|KB|MB)$/);
    }
    const requests = Object.fromEntries(rows.map((row) => [row.mode, row.requests]));
    expect(requests.sync).toBe(1);
    expect(requests.sse).toBe(1);
    expect(requests.polling).toBeGreaterThanOrEqual(2);
    const charts = page.getByRole('region', { name: 'Results chart' }).getByRole('img');
    await expect(charts.count()).resolves.toBe(3);
    const barWidths = await charts
      .first()
      .locator('rect')
      .evaluateAll((rects) => rects.map((rect) => Number(rect.getAttribute('width'))));
    expect(barWidths).toHaveLength(8);
    for (const width of barWidths) expect(width).toBeGreaterThan(0);
  });

  it('fits a phone-sized screen', async () => {
    ui = await openUi(browser, `${nginx.url}/#compare`, {
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const { page } = ui;
    const box = page.getByRole('textbox', { name: 'Prompt for all four modes' });
    await box.fill('Hello there');
    await page.getByRole('button', { name: 'Compare' }).click();
    for (const mode of ['sync', 'polling', 'sse', 'ws'] as const) {
      await waitForStatus(page.getByRole('region', { name: `${TAB_LABEL[mode]} column` }).locator('.reply'), ['done']);
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});

async function expectMarkdownAnswer(reply: Locator): Promise<void> {
  // The simulated model answers this prompt with numbered steps and a fenced code block.
  await expect(reply.locator('.answer ol li, .answer ul li').count()).resolves.toBeGreaterThan(0);
  await expect(reply.locator('.answer pre code').count()).resolves.toBeGreaterThan(0);
  // Markdown syntax is rendered, not shown.
  await expect(answerText(reply)).resolves.not.toContain('```');
}

/** The chat's conversation, whose articles are its turns. */
function conversation(page: Page): Locator {
  return page.getByRole('log', { name: 'Conversation' });
}
