/**
 * Starting and stopping the real processes of the browser tests and the bench (nginx, the reference server): free
 * loopback ports, output capture for failure messages, readiness over HTTP, and a stop that cannot hang.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

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

export function track(child: ChildProcess): { output(): string; exited: Promise<number | null> } {
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  return { output: () => output, exited };
}

export async function stopChild(
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
export async function waitForHttp(
  url: string,
  exited: Promise<unknown>,
  output: () => string,
  what: string,
): Promise<void> {
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

/** Tracks `child` and waits until `url` answers; a child that never does is stopped, and the error says what it printed. */
export async function trackUntilReady(
  child: ChildProcess,
  url: string,
  what: string,
): Promise<{ output(): string; exited: Promise<number | null> }> {
  const tracked = track(child);
  try {
    await waitForHttp(url, tracked.exited, tracked.output, what);
  } catch (error) {
    await stopChild(child, tracked.exited);
    throw error;
  }
  return tracked;
}
