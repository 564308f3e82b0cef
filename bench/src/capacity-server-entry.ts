/**
 * The server process of the capacity scenario: the kit (on node:http, its Groq provider pointed at the fake Groq) or a
 * bare relay, plus the bench-only IPC channel through which the orchestrator reads its memory after a full GC and its
 * event-loop delay while streams are held.
 *
 * Usage: node --expose-gc dist/capacity-server-entry.js <kit|relay-fetch|relay-http> <upstream base URL> <api key>
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapSpaceStatistics } from 'node:v8';
import type { MemoryReading } from './capacity-figures.js';
import { serveIpc } from './ipc.js';
import type { BenchServer } from './servers/bench-server.js';
import { startKitServer } from './servers/kit.js';
import { startFetchRelay } from './servers/relay-fetch.js';
import { startHttpRelay } from './servers/relay-http.js';
import type { RelayUpstream } from './servers/relay.js';

const STARTERS: Record<string, (upstream: RelayUpstream) => Promise<BenchServer>> = {
  // The kit as the reference server configures it (metrics on, the memory store), mounted with kit.handler() on
  // node:http like the relays, so the difference is the kit and not a framework.
  kit: (upstream) => startKitServer({ adapter: 'node', upstream }),
  'relay-fetch': startFetchRelay,
  'relay-http': startHttpRelay,
};

const [kind = '', baseUrl = '', apiKey = ''] = process.argv.slice(2);
const start = STARTERS[kind];
if (!start || !baseUrl) {
  console.error(`usage: capacity-server-entry.js <${Object.keys(STARTERS).join('|')}> <upstream> <key>`);
  process.exit(2);
}
const started = start({ baseUrl, apiKey });
// 10 ms resolution: the delay of a timer that should fire every 10 ms is how late anything on the loop runs.
const lag = monitorEventLoopDelay({ resolution: 10 });
const gc = (globalThis as { gc?: () => void }).gc;

/** Memory after full collections, a few turns apart so finalizers and weak callbacks run in between. */
async function settledMemory(): Promise<MemoryReading> {
  if (!gc) throw new Error('run with --expose-gc');
  for (let round = 0; round < 3; round++) {
    gc();
    await sleep(50);
  }
  gc();
  const { rss, heapUsed, external, heapTotal } = process.memoryUsage();
  const spaces: NonNullable<MemoryReading['spaces']> = {};
  for (const space of getHeapSpaceStatistics()) {
    spaces[space.space_name] = { used: space.space_used_size, physical: space.physical_space_size };
  }
  return { rss, heapUsed, external, heapTotal, spaces };
}

const toMs = (nanoseconds: number) => Math.round(nanoseconds / 1e4) / 100;

serveIpc({
  ready: async () => (await started).url,
  memory: () => settledMemory(),
  streams: async () => (await started).openStreams?.() ?? 0,
  'lag-start': () => {
    lag.reset();
    lag.enable();
  },
  'lag-stop': () => {
    lag.disable();
    // The resolution is subtracted by Node already: these are delays beyond the timer's own interval.
    return { p50: toMs(lag.percentile(50)), p99: toMs(lag.percentile(99)), max: toMs(lag.max) };
  },
  close: async () => {
    await (await started).close();
    setTimeout(() => process.exit(0), 50);
  },
});
