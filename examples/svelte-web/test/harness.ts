/**
 * Real processes for the browser tests: the reference server as `npm start` and the backend container run it, the
 * repository's nginx.conf in Debian's nginx, and Debian's Chromium through playwright-core. Each listens on a free
 * loopback port and is stopped by the `stop()` it returns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '../../..');
export const UI_DIST = resolve(here, '../dist');
export const NGINX_CONF = join(REPO_ROOT, 'nginx/nginx.conf');
export const SERVER_MAIN = join(REPO_ROOT, 'examples/koa-server/dist/main.js');
export const RESULTS_DIR = resolve(here, '../test-results');
const CHROMIUM = '/usr/bin/chromium';
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path)) ?? 'nginx';

/** A running process the tests started. */
export interface Running {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** What the process printed so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

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

function track(child: ChildProcess): { output(): string; exited: Promise<number | null> } {
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  return { output: () => output, exited };
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<unknown>,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Resolves once `url` answers any HTTP status; fails with the process output if it never does or the process ends. */
async function waitForHttp(url: string, exited: Promise<unknown>, output: () => string, what: string): Promise<void> {
  let ended = false;
  void exited.then(() => (ended = true));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (ended) throw new Error(`${what} exited before it answered:\n${output()}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((wait) => setTimeout(wait, 100));
    }
  }
  throw new Error(`${what} did not answer ${url} in 15 s:\n${output()}`);
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
  const { output, exited } = track(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, exited, output, 'the reference server');
  } catch (error) {
    await stopChild(child, exited);
    throw error;
  }
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

/**
 * The repository's nginx/nginx.conf with only what differs from the container rewritten: the listen port, the upstream
 * address, the UI root and the log and temp paths (under `prefix`, so it runs as root or not). Every rewrite must
 * match, so a change to the real file cannot silently leave the tests on a stale copy.
 */
export function rewriteNginxConf(
  conf: string,
  options: { port: number; backend: string; root: string; prefix: string },
): string {
  const rewrites: Array<[RegExp, string]> = [
    [/listen 3000;/, `listen 127.0.0.1:${options.port};`],
    [/server backend-1:8000;\s*server backend-2:8000;/, `server ${options.backend};`],
    [/root \/usr\/share\/nginx\/html;/, `root ${options.root};`],
    [/access_log \/dev\/stdout;/, `access_log ${options.prefix}/access.log;`],
    [
      /http \{/,
      [
        'http {',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
          (kind) => `  ${kind}_temp_path ${options.prefix}/temp/${kind};`,
        ),
      ].join('\n'),
    ],
  ];
  return rewrites.reduce((text, [pattern, replacement]) => {
    if (!pattern.test(text)) throw new Error(`nginx.conf no longer contains ${pattern}; update the test rewrite`);
    return text.replace(pattern, replacement);
  }, conf);
}

/** Options of {@link startNginx}. */
export interface NginxOptions {
  /** `host:port` of the backend. */
  backend: string;
  /** Folder of the built UI (default: examples/svelte-web/dist). */
  root?: string;
  /** Listen on this port (default: a free one); a restarted nginx reuses its predecessor's. */
  port?: number;
  /** Edits applied to the rewritten conf (to prove a test fails on a broken config). */
  edit?: (conf: string) => string;
}

/** Starts Debian's nginx in the foreground with the repository's nginx.conf. */
export async function startNginx(options: NginxOptions): Promise<Running> {
  const port = options.port ?? (await freePort());
  const prefix = mkdtempSync(join(tmpdir(), 'chatwire-nginx-'));
  // Readable by the workers, which run as nobody when the tests run as root.
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, 'temp'));
  const conf = rewriteNginxConf(readFileSync(NGINX_CONF, 'utf8'), {
    port,
    backend: options.backend,
    root: options.root ?? UI_DIST,
    prefix,
  });
  const confPath = join(prefix, 'nginx.conf');
  writeFileSync(confPath, options.edit ? options.edit(conf) : conf);
  const child = spawn(
    NGINX,
    ['-e', 'stderr', '-p', prefix, '-c', confPath, '-g', `daemon off; pid ${prefix}/nginx.pid;`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const { output, exited } = track(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/`, exited, output, 'nginx');
  } catch (error) {
    await stopChild(child, exited);
    throw error;
  }
  return {
    url,
    port,
    output,
    async stop() {
      // SIGTERM is nginx's fast shutdown: open connections (streams, WebSockets) are cut at once.
      await stopChild(child, exited);
      rmSync(prefix, { recursive: true, force: true });
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
