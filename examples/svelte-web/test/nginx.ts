/**
 * The repository's nginx/nginx.conf run by Debian's nginx on a free loopback port, in front of one or more backends:
 * used by the browser tests and by the bench's instance comparison.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, stopChild, trackUntilReady, type Running } from './processes.js';

const here = dirname(fileURLToPath(import.meta.url));
export const NGINX_CONF = resolve(here, '../../../nginx/nginx.conf');
export const UI_DIST = resolve(here, '../dist');
export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path)) ?? 'nginx';

/**
 * The repository's nginx/nginx.conf with only what differs from the container rewritten: the listen port, the upstream
 * address, the UI root and the log and temp paths (under `prefix`, so it runs as root or not). Every rewrite must
 * match, so a change to the real file cannot silently leave the tests on a stale copy.
 */
export function rewriteNginxConf(
  conf: string,
  options: { port: number; backends: readonly string[]; root: string; prefix: string },
): string {
  const rewrites: Array<[RegExp, string]> = [
    [/listen 3000;/, `listen 127.0.0.1:${options.port};`],
    [
      /server backend-1:8000;\s*server backend-2:8000;/,
      options.backends.map((backend) => `server ${backend};`).join('\n    '),
    ],
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
  /** `host:port` of the backend, or of each backend (round robin, as in docker-compose.yml). */
  backend: string | readonly string[];
  /** Folder of the built UI (default: examples/svelte-web/dist). */
  root?: string;
  /** The nginx.conf to rewrite (default: the repository's nginx/nginx.conf). */
  conf?: string;
  /** Listen on this port (default: a free one); a restarted nginx reuses its predecessor's. */
  port?: number;
  /** Edits applied to the rewritten conf (to prove a test fails on a broken config). */
  edit?: (conf: string) => string;
}

/** A running nginx; `pid` is its master's (its workers are the master's children). */
export interface RunningNginx extends Running {
  pid: number;
}

/** Starts Debian's nginx in the foreground with the repository's nginx.conf. */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const port = options.port ?? (await freePort());
  const prefix = mkdtempSync(join(tmpdir(), 'chatwire-nginx-'));
  // Readable by the workers, which run as nobody when the tests run as root.
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, 'temp'));
  const conf = rewriteNginxConf(readFileSync(options.conf ?? NGINX_CONF, 'utf8'), {
    port,
    backends: typeof options.backend === 'string' ? [options.backend] : options.backend,
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
  const url = `http://127.0.0.1:${port}`;
  const { output, exited } = await trackUntilReady(child, `${url}/`, 'nginx');
  return {
    url,
    port,
    pid: child.pid ?? 0,
    output,
    async stop() {
      // SIGTERM is nginx's fast shutdown: open connections (streams, WebSockets) are cut at once.
      await stopChild(child, exited);
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
