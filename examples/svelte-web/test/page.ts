/** What a user does and sees in the chatwire UI, for the browser tests. */
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core';

/** A chat tab: `auto` (the default) or one of the four modes (the Compare view's columns). */
export type UiMode = 'auto' | 'sync' | 'polling' | 'sse' | 'ws';

/** The tab label of each mode (and the Compare view's column names, `Auto` aside). */
export const TAB_LABEL: Record<UiMode, string> = {
  auto: 'Auto',
  sync: 'Sync',
  polling: 'Polling',
  sse: 'SSE',
  ws: 'WebSocket',
};

/** A page of the UI that records what should never happen: uncaught errors and dialogs. */
export interface UiPage {
  page: Page;
  /** Uncaught page errors and `console.error` messages. */
  errors: string[];
  /** Messages of `alert`/`confirm`/`prompt` dialogs that opened (each is dismissed). */
  dialogs: string[];
  close(): Promise<void>;
}

/** Opens `url` in a fresh context and waits for the app to know its models. */
export async function openUi(browser: Browser, url: string, options: BrowserContextOptions = {}): Promise<UiPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  // Below the test timeout, so a stuck step fails with Playwright's message saying which one.
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(url);
  await page.getByLabel('Model').locator('option').first().waitFor({ state: 'attached' });
  return { page, errors, dialogs, close: () => context.close() };
}

/** Picks a model in the header's model picker. */
export async function pickModel(page: Page, model: string): Promise<void> {
  await page.getByLabel('Model').selectOption(model);
}

/** Selects the mode tab (`auto`: the Auto tab, selected anyway at first) and sends `prompt` with the Enter key. */
export async function sendChat(page: Page, mode: UiMode, prompt: string): Promise<Locator> {
  await page.getByRole('tab', { name: TAB_LABEL[mode], exact: true }).click();
  const turns = page.getByRole('log', { name: 'Conversation' }).locator('article');
  // The new turn by its place, not `last()`: until the page has drawn it, the last turn is the previous one, whose reply
  // is already done (a busy machine draws late).
  const before = await turns.count();
  const box = page.getByRole('textbox', { name: 'Message', exact: true });
  await box.fill(prompt);
  await box.press('Enter');
  const reply = turns.nth(before).locator('.reply');
  await reply.waitFor();
  return reply;
}

/** Waits until `reply` (a `.reply` element) has one of `statuses`; returns the status. */
export async function waitForStatus(reply: Locator, statuses: string[], timeout = 30_000): Promise<string> {
  const handle = await reply.elementHandle();
  if (!handle) throw new Error('reply element is gone');
  await reply
    .page()
    .waitForFunction(
      ([element, wanted]) => wanted.includes((element as HTMLElement).dataset.status ?? ''),
      [handle, statuses] as const,
      { timeout },
    );
  return (await reply.getAttribute('data-status')) ?? '';
}

/** The rendered answer's text (empty before the first token). */
export async function answerText(reply: Locator): Promise<string> {
  const answer = reply.locator('.answer');
  return (await answer.count()) > 0 ? ((await answer.textContent()) ?? '') : '';
}

/**
 * Watches `reply` in the page on every animation frame until it ends, and returns the distinct non-empty lengths its
 * rendered text went through: one for an answer shown all at once, many for one that streamed.
 */
export async function watchGrowth(reply: Locator, timeout = 30_000): Promise<{ lengths: number[]; status: string }> {
  return reply.evaluate(
    (element, limit) =>
      new Promise<{ lengths: number[]; status: string }>((resolve, reject) => {
        const lengths: number[] = [];
        const started = performance.now();
        const sample = (): void => {
          const length = element.querySelector('.answer')?.textContent?.length ?? 0;
          if (length > 0 && lengths.at(-1) !== length) lengths.push(length);
          const status = (element as HTMLElement).dataset.status ?? '';
          if (status !== 'waiting' && status !== 'streaming') return resolve({ lengths, status });
          if (performance.now() - started > limit) return reject(new Error(`still ${status} after ${limit} ms`));
          requestAnimationFrame(sample);
        };
        sample();
      }),
    timeout,
  );
}

/** A reply's delivery: its tag (`Auto → SSE`, `WebSocket`), the transport that delivered it, and why auto switched. */
export async function deliveryOf(reply: Locator): Promise<{ tag: string; delivered: string | null; why: string[] }> {
  const tag = reply.locator('.meta .tag');
  return {
    tag: ((await tag.textContent()) ?? '').trim(),
    delivered: await tag.getAttribute('data-delivered'),
    why: await reply.getByRole('list', { name: 'Why auto mode switched' }).getByRole('listitem').allTextContents(),
  };
}
