import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
// An empty folder as cwd so a developer's .env never leaks into the tests.
const cwd = mkdtempSync(join(tmpdir(), 'chatwire-ref-'));

/** A reference-server process started by {@link spawnServer}. */
export interface SpawnedServer {
  child: ChildProcess;
  /** `http://127.0.0.1:PORT`, read from its "listening on" line. */
  url: string;
  wsUrl: string;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts the built reference server (`node dist/main.js`) on a free loopback port with `env` added. */
export function spawnServer(env: Record<string, string>): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [main], {
    cwd,
    env: { PATH: process.env.PATH ?? '', INIT_CWD: cwd, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let started = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[\d.:]+)/.exec(output);
      if (match?.[1] && !started) {
        started = true;
        const url = match[1];
        resolve({ child, url, wsUrl: `${url.replace('http', 'ws')}/ws/chat`, output: () => output, exited });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

/** The folder the spawned servers run in (empty, so no `.env` applies). */
export const serverFolder = cwd;
/** The built entry point, for tests that spawn it themselves (e.g. to watch it fail at startup). */
export const serverMain = main;
