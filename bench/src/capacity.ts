import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAKE_GROQ_API_KEY, startFakeGroq } from '../../packages/server-kit/test/fake-groq/index.js';
import type {
  CapacityEntry,
  CapacityLevel,
  CapacityResults,
  CapacityServer,
  MemoryReading,
} from './capacity-figures.js';
import type { HoldKind } from './capacity-holder-entry.js';
import { startChild, type BenchChild } from './processes.js';

/** What the capacity scenario measures. */
export interface CapacityPlan {
  /** Streams held at once, in increasing order; each level adds streams to the previous one's. */
  levels: number[];
  servers: CapacityServer[];
  /** How long each level is held while the event-loop delay and `/healthz` are sampled. */
  holdMs: number;
  /** Wait after a level is open before sampling, so its last streams are past their first token. */
  settleMs: number;
}

/** Where the processes run. */
export interface CapacityOptions {
  /** The folder of the built entries (bench/dist). */
  distDir: string;
  cores?: { server: number; load: number };
  priority?: number;
}

/** The servers in report order: the baseline relay first. */
export const CAPACITY_SERVERS: readonly CapacityServer[] = [
  'relay-fetch',
  'relay-http',
  'kit-sse',
  'kit-ws',
  'kit-polling',
  'kit-sync',
];

const TOKEN_INTERVAL_MS = 1_000;
// An hour of tokens: no stream ends while measured.
const TOKENS = Array.from({ length: 3_600 }, (_, index) => `tok${index} `);
const ALIVE_WINDOW_MS = 2_500;
const HEALTH_EVERY_MS = 100;
// The server holds two sockets per stream (the client's, the upstream's); the rest is for the process itself.
const SPARE_FILES = 512;

const HOLD_KINDS: Record<CapacityServer, HoldKind> = {
  'kit-sse': 'sse',
  'kit-ws': 'ws',
  'kit-polling': 'polling',
  'kit-sync': 'sync',
  'relay-fetch': 'relay',
  'relay-http': 'relay',
};

/** The soft limit on open files this process (and so its children) runs with. */
function fileLimit(): number {
  const answer = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const limit = Number(answer.stdout.trim());
  return answer.stdout.trim() === 'unlimited' ? Infinity : Number.isFinite(limit) && limit > 0 ? limit : 1024;
}

/**
 * Holds slow streams on each server: a fake Groq (in this process) sends one token a second, every stream a real
 * upstream request (the kit through its Groq provider, the relays through `fetch` or `node:http`). Per server: a fresh
 * process, a warm-up of 20 short answers, the idle memory after a full GC, then each level: open streams up to it,
 * sample the event-loop delay and `/healthz` while holding them, count the streams still receiving tokens, and read
 * the memory after a full GC.
 */
export async function runCapacity(
  plan: CapacityPlan,
  options: CapacityOptions,
  log: (line: string) => void,
): Promise<CapacityResults> {
  const files = fileLimit();
  const levels = plan.levels.filter((level) => 2 * level + SPARE_FILES <= files);
  const skippedLevels = plan.levels.filter((level) => !levels.includes(level));
  if (skippedLevels.length > 0) log(`capacity: open-file limit ${files}, skipping ${skippedLevels.join(', ')} streams`);
  const fake = await startFakeGroq({ tokens: TOKENS, delayMs: TOKEN_INTERVAL_MS });
  // The fake records every request; thousands an hour would grow this process, not the measured one.
  const prune = setInterval(() => fake.requests.splice(0), 5_000);
  const entries: CapacityEntry[] = [];
  try {
    for (const server of plan.servers) entries.push(await measureServer(server, levels, plan, options, fake, log));
  } finally {
    clearInterval(prune);
    await fake.close();
  }
  return {
    tokenIntervalMs: TOKEN_INTERVAL_MS,
    levels,
    skippedLevels,
    fileLimit: Number.isFinite(files) ? files : -1,
    holdMs: plan.holdMs,
    aliveWindowMs: ALIVE_WINDOW_MS,
    healthEveryMs: HEALTH_EVERY_MS,
    entries,
  };
}

async function measureServer(
  server: CapacityServer,
  levels: number[],
  plan: CapacityPlan,
  options: CapacityOptions,
  fake: Awaited<ReturnType<typeof startFakeGroq>>,
  log: (line: string) => void,
): Promise<CapacityEntry> {
  const kind = server.startsWith('kit-') ? 'kit' : server;
  const started: BenchChild[] = [];
  const measured: CapacityLevel[] = [];
  let baseline: MemoryReading = { rss: 0, heapUsed: 0, external: 0 };
  try {
    const process = await startChild(
      join(options.distDir, 'capacity-server-entry.js'),
      [kind, fake.url, FAKE_GROQ_API_KEY],
      {
        nodeFlags: ['--expose-gc'],
        ...(options.cores ? { core: options.cores.server } : {}),
        ...(options.priority === undefined ? {} : { priority: options.priority }),
      },
    );
    started.push(process);
    const url = await process.ipc.call<string>('ready');
    const holder = await startChild(join(options.distDir, 'capacity-holder-entry.js'), [url, HOLD_KINDS[server]], {
      ...(options.cores ? { core: options.cores.load } : {}),
    });
    started.push(holder);
    await warmUp(fake, holder);
    baseline = await process.ipc.call<MemoryReading>('memory');
    let stopped: string | undefined;
    for (const level of levels) {
      const opened = await holder.ipc.call<{ held: number; failed: number }>('open', { count: level });
      await sleep(plan.settleMs);
      await process.ipc.call('lag-start');
      const health = await holder.ipc.call<CapacityLevel['health']>('health', {
        durationMs: plan.holdMs,
        everyMs: HEALTH_EVERY_MS,
      });
      const eventLoopLagMs = await process.ipc.call<CapacityLevel['eventLoopLagMs']>('lag-stop');
      const status = await holder.ipc.call<{ held: number; alive: number; failed: number }>('status', {
        aliveWindowMs: ALIVE_WINDOW_MS,
      });
      const memory = await process.ipc.call<MemoryReading>('memory');
      measured.push({
        level,
        held: status.held,
        alive: status.alive,
        failed: status.failed,
        memory,
        eventLoopLagMs,
        health,
      });
      const perStream = (memory.rss - baseline.rss) / Math.max(1, status.held) / 1024;
      log(
        `[capacity ${server} ${level}] held ${status.held} (${opened.failed} failed to open), alive ${status.alive}, ` +
          `${perStream.toFixed(1)} KiB RSS/stream, heap ${((memory.heapUsed - baseline.heapUsed) / Math.max(1, status.held) / 1024).toFixed(1)} KiB/stream, ` +
          `heap reserved ${(((memory.heapTotal ?? 0) - (baseline.heapTotal ?? 0)) / Math.max(1, status.held) / 1024).toFixed(1)} KiB/stream, ` +
          `lag p99 ${eventLoopLagMs.p99} ms, /healthz p99 ${health.p99Ms} ms`,
      );
      if (status.held < level * 0.9) {
        stopped = `held ${status.held} of ${level} streams`;
        break;
      }
    }
    await holder.ipc.call('release');
    return { server, baseline, levels: measured, ...(stopped ? { stopped } : {}) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log(`[capacity ${server}] stopped: ${reason}`);
    // The levels measured before it stopped are kept.
    return { server, baseline, levels: measured, stopped: reason };
  } finally {
    for (const child of started.reverse()) await child.stop();
  }
}

/**
 * Short answers that finish, so a capacity server's code is compiled and its pools exist before the idle reading;
 * resolves past the kit's disconnect grace (2 s in the bench server), once the warm-up's runs are over.
 */
export async function warmUp(fake: Awaited<ReturnType<typeof startFakeGroq>>, holder: BenchChild): Promise<void> {
  fake.script(
    ...Array.from({ length: 20 }, () => ({ kind: 'stream' as const, tokens: ['tok a ', 'tok b '], delayMs: 20 })),
  );
  await holder.ipc.call('open', { count: 20 });
  await sleep(500);
  await holder.ipc.call('release');
  await sleep(3_000);
}
