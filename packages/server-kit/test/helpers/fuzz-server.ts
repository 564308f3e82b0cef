/**
 * Entry point of the child process that serves the kit under fuzz (see fuzz-harness.ts). The kit runs out of the test
 * process so that a server which freezes its event loop, or dies, fails the test instead of taking the test runner
 * down with it. It reports to the parent over IPC: `ready`, a heartbeat every 50 ms (a frozen event loop stops it),
 * every uncaught exception / unhandled rejection, every error-level log line, and its stats on request.
 */
import type { ChatKitOptions } from '../../src/index.js';
import { createSimulatedProvider } from '../../src/index.js';
import { startKit } from './start-kit.js';

/** What the parent passes in `CHATWIRE_FUZZ_OPTIONS` (JSON). */
export interface FuzzServerOptions {
  apiKeys?: string[];
  bodyLimitBytes: number;
  wsMaxPayloadBytes: number;
}

/** Messages the child sends. */
export type ChildMessage =
  | { type: 'ready'; url: string; wsUrl: string }
  | { type: 'beat' }
  | { type: 'problem'; kind: 'uncaughtException' | 'unhandledRejection' | 'logged-error'; detail: string }
  | { type: 'synced'; token: number; stats: { activeRuns: number; sse: number; ws: number } };

/** Messages the parent sends. */
export type ParentMessage = { type: 'sync'; token: number } | { type: 'stop' };

const send = (message: ChildMessage) => {
  if (process.connected) process.send?.(message);
};
const describeError = (error: unknown) =>
  error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);

// Listening keeps the process alive after a crash, like a supervisor would restart it; the parent fails the test.
process.on('uncaughtException', (error) =>
  send({ type: 'problem', kind: 'uncaughtException', detail: describeError(error) }),
);
process.on('unhandledRejection', (reason) =>
  send({ type: 'problem', kind: 'unhandledRejection', detail: describeError(reason) }),
);

const options = JSON.parse(process.env.CHATWIRE_FUZZ_OPTIONS ?? '{}') as FuzzServerOptions;
const kitOptions: ChatKitOptions = {
  provider: createSimulatedProvider({ defaultModel: 'sim/instant' }),
  bodyLimitBytes: options.bodyLimitBytes,
  wsMaxPayloadBytes: options.wsMaxPayloadBytes,
  // Thousands of requests from one principal: the default 60 runs/minute would answer 429 to the final sanity chat.
  runLimits: { runsPerMinute: 1_000_000, maxConcurrentRunsPerPrincipal: 1000 },
  logger: {
    info: () => {},
    warn: (object, message) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg: message, ...object })}\n`),
    error: (object, message) =>
      send({ type: 'problem', kind: 'logged-error', detail: JSON.stringify({ msg: message, ...object }) }),
  },
  ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}),
};
const server = await startKit(kitOptions);

setInterval(() => send({ type: 'beat' }), 50);
process.on('message', (message: ParentMessage) => {
  if (message.type === 'sync') {
    const { activeRuns, streams } = server.kit.stats();
    send({ type: 'synced', token: message.token, stats: { activeRuns, ...streams } });
  } else if (message.type === 'stop') {
    void server.close().finally(() => process.exit(0));
  }
});
// The parent went away (killed, crashed): do not linger.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', url: server.url, wsUrl: server.wsUrl });
