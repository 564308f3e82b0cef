import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { ChildMessage, FuzzServerOptions, ParentMessage } from './fuzz-server.js';

/** Something that went wrong in the server process, whatever request was running. */
export interface Problem {
  kind: 'uncaughtException' | 'unhandledRejection' | 'logged-error' | 'frozen' | 'exited';
  detail: string;
  /** Which child process (they are restarted after freezing or dying). */
  generation: number;
}

/** One running server process. */
export interface FuzzChild {
  readonly generation: number;
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  /** Per-process fixtures (runs created on this server), so that a restarted server gets fresh ones. */
  readonly memo: Map<string, Promise<unknown>>;
}

/** The kit under fuzz, in a child process that is restarted when it freezes or dies. */
export interface FuzzServer {
  /** The running process, started (again) when there is none or the last one froze or died. */
  child(): Promise<FuzzChild>;
  /**
   * Runs `action` (one request) and settles with the server: fails with a readable error when it takes longer than
   * `timeoutMs`, or when the server freezes, dies, throws an uncaught error or logs an internal error meanwhile.
   */
  guard<T>(child: FuzzChild, what: string, action: (signal: AbortSignal) => Promise<T>, timeoutMs?: number): Promise<T>;
  /** The server's `kit.stats()`. */
  stats(child: FuzzChild): Promise<{ activeRuns: number; sse: number; ws: number }>;
  /** Everything that went wrong so far. */
  readonly problems: readonly Problem[];
  stop(): Promise<void>;
}

/** A server whose event loop produced no heartbeat (sent every 50 ms) for this long is frozen. */
const FROZEN_AFTER_MS = 1000;

interface ChildState extends FuzzChild {
  process: ChildProcess;
  lastBeat: number;
  dead: boolean;
  events: EventEmitter;
  stderr: string[];
  syncs: Map<number, (stats: { activeRuns: number; sse: number; ws: number }) => void>;
}

let bundled: Promise<string> | undefined;
let bundleDirectory: string | undefined;
/** Fuzz servers running; the last one to stop removes the bundle. */
let running = 0;

/** Bundles fuzz-server.ts and the kit's sources with esbuild (tsup's bundler), so a plain `node` can run them. */
function bundle(): Promise<string> {
  bundled ??= (async () => {
    const directory = mkdtempSync(join(tmpdir(), 'chatwire-fuzz-'));
    bundleDirectory = directory;
    const outfile = join(directory, 'fuzz-server.mjs');
    await build({
      entryPoints: [fileURLToPath(new URL('./fuzz-server.ts', import.meta.url))],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'error',
      // CommonJS dependencies (koa, ws) call require(); give the ESM bundle one.
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
    });
    return outfile;
  })();
  return bundled;
}

/** Starts the kit with `options` in a child process (see fuzz-server.ts). */
export async function startFuzzServer(options: FuzzServerOptions): Promise<FuzzServer> {
  running++;
  const script = await bundle();
  const problems: Problem[] = [];
  let generation = 0;
  let current: ChildState | undefined;
  // Once a process has died, a started spare replaces the next one at once (shrinking a freeze kills many in a row).
  let spare: Promise<ChildState> | undefined;
  let stopping = false;
  let syncToken = 0;

  const report = (state: ChildState, kind: Problem['kind'], detail: string) => {
    const problem: Problem = { kind, detail, generation: state.generation };
    problems.push(problem);
    state.events.emit('problem', problem);
  };
  const kill = (state: ChildState, kind: 'frozen' | 'exited', detail: string) => {
    if (state.dead) return;
    state.dead = true;
    report(state, kind, `${detail}${state.stderr.length ? `; stderr: ${state.stderr.join('\n').slice(-2000)}` : ''}`);
    state.process.kill('SIGKILL');
  };

  // The watchdog: a child whose heartbeat stops has a blocked event loop (an endless synchronous or microtask loop).
  let lastTick = Date.now();
  const watchdog = setInterval(() => {
    const now = Date.now();
    const parentLag = now - lastTick - 100;
    lastTick = now;
    if (!current || current.dead) return;
    // When this process was busy itself, the heartbeats are still queued: do not blame the child.
    if (parentLag > 250) current.lastBeat = now;
    else if (now - current.lastBeat > FROZEN_AFTER_MS) {
      kill(current, 'frozen', `the server's event loop has been blocked for over ${FROZEN_AFTER_MS} ms (no heartbeat)`);
    }
  }, 100);

  function spawn(): Promise<ChildState> {
    const processHandle = fork(script, [], {
      env: { ...process.env, CHATWIRE_FUZZ_OPTIONS: JSON.stringify(options) },
      execArgv: ['--enable-source-maps'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the fuzz server did not start within 15 s')), 15_000);
      let state: ChildState | undefined;
      const stderr: string[] = [];
      processHandle.stderr?.setEncoding('utf8').on('data', (text: string) => {
        stderr.push(text);
        if (stderr.length > 20) stderr.shift();
      });
      processHandle.on('message', (message: ChildMessage) => {
        switch (message.type) {
          case 'ready': {
            clearTimeout(timer);
            state = {
              generation: ++generation,
              url: message.url,
              wsUrl: message.wsUrl,
              port: Number(new URL(message.url).port),
              memo: new Map(),
              process: processHandle,
              lastBeat: Date.now(),
              dead: false,
              events: new EventEmitter(),
              stderr,
              syncs: new Map(),
            };
            resolve(state);
            return;
          }
          case 'beat':
            if (state) state.lastBeat = Date.now();
            return;
          case 'problem':
            if (state) report(state, message.kind, message.detail);
            else stderr.push(`${message.kind}: ${message.detail}`);
            return;
          case 'synced':
            state?.syncs.get(message.token)?.(message.stats);
            state?.syncs.delete(message.token);
            return;
          default: {
            const unreachable: never = message;
            return unreachable;
          }
        }
      });
      processHandle.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!state)
          return reject(new Error(`the fuzz server exited during startup (${code ?? signal}): ${stderr.join('')}`));
        if (!stopping) kill(state, 'exited', `the server process exited (code ${code}, signal ${signal})`);
      });
    });
  }

  function sync(state: ChildState): Promise<{ activeRuns: number; sse: number; ws: number }> {
    const token = ++syncToken;
    return new Promise((resolve) => {
      state.syncs.set(token, resolve);
      const message: ParentMessage = { type: 'sync', token };
      state.process.send(message);
    });
  }

  return {
    problems,
    async child() {
      if (current && !current.dead) return current;
      const replacing = current !== undefined;
      current = await (spare ?? spawn());
      spare = undefined;
      if (replacing) {
        spare = spawn();
        spare.catch(() => {});
      }
      return current;
    },
    async guard(child, what, action, timeoutMs = 5000) {
      const state = child as ChildState;
      if (state.dead) throw new Error(`${what}: the server process is down (${problems.at(-1)?.kind})`);
      const controller = new AbortController();
      let cleanup = () => {};
      const trouble = new Promise<never>((_resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what}: HUNG, no answer within ${timeoutMs} ms`)), timeoutMs);
        const onProblem = (problem: Problem) =>
          reject(new Error(`${what}: the server reported ${problem.kind}: ${problem.detail}`));
        state.events.on('problem', onProblem);
        cleanup = () => {
          clearTimeout(timer);
          state.events.off('problem', onProblem);
          controller.abort();
        };
      });
      trouble.catch(() => {});
      try {
        const running = action(controller.signal);
        running.catch(() => {});
        const value = await Promise.race([running, trouble]);
        // A round trip over IPC: whatever the request made the server report arrives before the answer.
        await Promise.race([sync(state), trouble]);
        return value;
      } finally {
        cleanup();
      }
    },
    stats(child) {
      return sync(child as ChildState);
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(watchdog);
      void spare?.then(
        (state) => state.process.kill('SIGKILL'),
        () => {},
      );
      await stopChild(current);
      if (--running === 0 && bundleDirectory) {
        rmSync(bundleDirectory, { recursive: true, force: true });
        bundled = bundleDirectory = undefined;
      }
    },
  };
}

/** Asks a child to close its kit and exit; kills it after 3 s. */
function stopChild(state: ChildState | undefined): Promise<void> {
  if (!state || state.dead || state.process.exitCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      state.process.kill('SIGKILL');
      resolve();
    }, 3000);
    state.process.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    const message: ParentMessage = { type: 'stop' };
    state.process.send(message);
  });
}
