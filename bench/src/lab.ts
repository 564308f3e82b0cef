import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readHostCpu } from './host-load.js';
import { startChild, type BenchChild, type Placement } from './processes.js';
import type { ScenarioEntry, ServerMeasure } from './results.js';
import type { ScenarioResult, ScenarioSpec } from './scenario.js';
import type { ServerSample } from './server-stats.js';
import type { Target } from './targets.js';
import { wireDelta } from './wire-meter.js';

/** Options of {@link createLab}. */
export interface LabOptions {
  /** The built bench (bench/dist), where the process entries are. */
  distDir: string;
  /** Cores to pin the server and the load generator to; none: not pinned. */
  cores?: { server: number; load: number };
  /** Nice value of the measured processes; none: the default. */
  priority?: number;
  /** Servers write V8 CPU profiles to this folder. */
  profileDir?: string;
  /** Extra arguments for every server (`--no-metrics`). */
  serverArgs: string[];
  warmupChats: number;
  chatTimeoutMs: number;
}

/** The processes of a bench run and how one scenario is measured across them. */
export interface Lab {
  readonly load: BenchChild;
  /** Where server-side processes run (the server core, the measured priority). */
  readonly serverPlacement: Placement;
  /** Runs one scenario on the load generator, nothing else measured. */
  runLoad(spec: ScenarioSpec): Promise<ScenarioResult>;
  /** Starts a target's server (pinned, prioritized) and warms it up with zero-delay chats. */
  startServer(target: Target, extraArgs?: string[]): Promise<BenchChild>;
  /** Runs one scenario on the load generator and reads the server's own account of it. */
  measure(
    target: Target,
    server: BenchChild | undefined,
    spec: Omit<ScenarioSpec, 'target' | 'url'>,
  ): Promise<ScenarioEntry>;
  stop(): Promise<void>;
}

/** Starts the load generator and returns the lab around it. */
export async function createLab(options: LabOptions): Promise<Lab> {
  const placement = (core: number | undefined): Placement => ({
    ...(core === undefined ? {} : { core }),
    ...(options.priority === undefined ? {} : { priority: options.priority }),
  });
  const load = await startChild(join(options.distDir, 'load-entry.js'), [], placement(options.cores?.load));
  const run = (spec: ScenarioSpec) => load.ipc.call<ScenarioResult>('run', spec);

  return {
    load,
    serverPlacement: placement(options.cores?.server),
    runLoad: run,
    async startServer(target, extraArgs = []) {
      if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
      const server = await startChild(
        join(options.distDir, 'server-entry.js'),
        [target.server as string, ...options.serverArgs, ...extraArgs],
        {
          ...placement(options.cores?.server),
          nodeFlags: [
            '--expose-gc',
            ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : []),
          ],
        },
      );
      const url = await server.ipc.call<string>('ready');
      // The JIT warms up on the same code paths before anything is measured.
      const warmup = { target: target.id, url, model: 'sim/instant', concurrency: 10, chats: options.warmupChats };
      await run({ ...warmup, chatTimeoutMs: options.chatTimeoutMs });
      return server;
    },
    async measure(target, server, spec) {
      const url = server ? await server.ipc.call<string>('ready') : '';
      const before = server ? await server.ipc.call<ServerSample>('reset') : undefined;
      const hostBefore = readHostCpu();
      const result = await run({ ...spec, target: target.id, url });
      const hostAfter = readHostCpu();
      const after = server ? await server.ipc.call<ServerSample>('sample') : undefined;
      const entry: ScenarioEntry = {
        target: target.id,
        model: spec.model,
        concurrency: spec.concurrency,
        load: result,
      };
      if (before && after) entry.server = serverMeasure(before, after);
      if (hostBefore && hostAfter) {
        // CPU the rest of the machine took meanwhile: other people's builds and tests share these cores.
        const ours = result.clientCpuMs + (entry.server?.cpuMs ?? 0);
        entry.otherCpuMs = Math.max(0, hostAfter.busyMs - hostBefore.busyMs - ours);
      }
      return entry;
    },
    stop: () => load.stop(),
  };
}

function serverMeasure(before: ServerSample, after: ServerSample): ServerMeasure {
  return {
    cpuMs: (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1000,
    rssBefore: before.rss,
    peakRss: after.peakRss,
    peakStreams: after.peakStreams,
    peakConnections: after.peakConnections,
    wire: wireDelta(before.wire, after.wire),
    gc: {
      minor: after.gc.minor - before.gc.minor,
      major: after.gc.major - before.gc.major,
      pauseMs: after.gc.pauseMs - before.gc.pauseMs,
    },
  };
}

/** One progress line for a scenario. */
export function describeEntry(entry: ScenarioEntry): string {
  const { load } = entry;
  const share = (ms: number) => `${((ms / load.wallMs) * 100).toFixed(0)}%`;
  const parts = [
    `${entry.target} ${entry.model} c=${entry.concurrency}: ${load.chats} chats`,
    `ttft p50 ${load.ttftMs.p50.toFixed(1)} ms p99 ${load.ttftMs.p99.toFixed(1)} ms`,
    `gap p99 ${load.gapMs.p99.toFixed(1)} ms`,
    `${(load.tokens / (load.wallMs / 1000)).toFixed(0)} tok/s`,
  ];
  if (entry.server) parts.push(`server cpu ${share(entry.server.cpuMs)}`);
  parts.push(`load cpu ${share(load.clientCpuMs)}`);
  if (entry.otherCpuMs !== undefined) parts.push(`other cpu ${share(entry.otherCpuMs)}`);
  if (entry.server) parts.push(`${(entry.server.wire.requests / load.chats).toFixed(1)} req/chat`);
  if (load.errors) parts.push(`${load.errors} errors (${load.errorSamples.join('; ')})`);
  return parts.join(', ');
}
