/**
 * Real processes for the browser tests: the reference server as `npm start` and the backend container run it, the
 * repository's nginx.conf in Debian's nginx, and Debian's Chromium through playwright-core. Each listens on a free
 * loopback port and is stopped by the `stop()` it returns.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { NGINX, UI_DIST } from './nginx.js';
import { freePort, stopChild, trackUntilReady, type Running } from './processes.js';

export { NGINX_CONF, UI_DIST, rewriteNginxConf, startNginx, type NginxOptions } from './nginx.js';
export { freePort, type Running } from './processes.js';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '../../..');
export const SERVER_MAIN = join(REPO_ROOT, 'examples/koa-server/dist/main.js');
export const RESULTS_DIR = resolve(here, '../test-results');
const CHROMIUM = '/usr/bin/chromium';

/** Fails with a message saying what to do when something the tests drive is missing. */
export function requirePrerequisites(): void {
  const missing = [
    !existsSync(CHROMIUM) && `${CHROMIUM} (apt-get install chromium)`,
    NGINX === 'nginx' && 'nginx (apt-get install nginx)',
    !existsSync(join(UI_DIST, 'index.html')) && `${UI_DIST}/index.html (npm run build)`,
    !existsSync(SERVER_MAIN) && `${SERVER_MAIN} (npm run build)`,
  ].filter(Boolean);
  if (missing.length > 0)
    throw new Error(`the browser tests need: ${missing.join(', ')}; .ci/run installs the Debian packages`);
}

/**
 * Starts the reference server exactly as `npm start` and the backend image do (`node examples/koa-server/dist/main.js`),
 * on a free port, with the simulated model whatever the developer's `.env` says.
 */
export async function startReferenceServer(env: Record<string, string> = {}): Promise<Running> {
  const port = await freePort();
  // main.js loads .env from INIT_CWD or the working folder: point both at an empty folder.
  const folder = mkdtempSync(join(tmpdir(), 'chatwire-server-'));
  const child = spawn(process.execPath, [SERVER_MAIN], {
    cwd: folder,
    env: {
      PATH: process.env.PATH ?? '',
      INIT_CWD: folder,
      PORT: String(port),
      HOST: '127.0.0.1',
      CHATWIRE_PROVIDER: 'simulated',
      GROQ_API_KEY: '',
      // One browser on one IP drives many runs a minute here; the production default (60) would throttle the suite.
      CHATWIRE_RUNS_PER_MINUTE: '100000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = `http://127.0.0.1:${port}`;
  const { output, exited } = await trackUntilReady(child, `${url}/healthz`, 'the reference server');
  return {
    url,
    port,
    output,
    async stop() {
      await stopChild(child, exited);
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, with no network of its own beyond what the page asks for. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/** Saves a full-page screenshot to examples/svelte-web/test-results/NAME.png (a test artifact). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: join(RESULTS_DIR, `${name}.png`), fullPage: true });
}
