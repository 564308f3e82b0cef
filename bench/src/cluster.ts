import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NGINX, startNginx, type RunningNginx } from '../../examples/svelte-web/test/nginx.js';
import { startRedisServer, type TestRedis } from '../../packages/server-kit/test/helpers/redis-server.js';
import { readHostCpu } from './host-load.js';
import { describeEntry, type Lab } from './lab.js';
import type { ProfilePlan } from './plan.js';
import { placeProcess, type BenchChild, type Placement } from './processes.js';
import { processesContextSwitches, processesCpuMs, processTree, type ContextSwitches } from './process-tree.js';
import { commandsBetween, readCommandCounts } from './redis-commands.js';
import type { ClusterEntry, ClusterResults } from './results.js';
import type { ServerSample } from './server-stats.js';
import { targetById, type TargetId } from './targets.js';

/** How the server side is deployed. */
export type TopologyId = 'one' | 'one-nginx' | 'one-redis-nginx' | 'two-redis-nginx';

/** One deployment of the kit's server side. */
export interface Topology {
  id: TopologyId;
  label: string;
  /** For table headers. */
  short: string;
  instances: 1 | 2;
  store: 'memory' | 'redis';
  /** Clients reach the instances through nginx with the repository's nginx.conf (round robin). */
  nginx: boolean;
}

/** From the baseline to what docker-compose.yml runs, one change at a time, so each step's cost shows on its own. */
export const TOPOLOGIES: readonly Topology[] = [
  { id: 'one', label: 'one instance, memory store', short: 'one', instances: 1, store: 'memory', nginx: false },
  {
    id: 'one-nginx',
    label: 'one instance behind nginx',
    short: 'one + nginx',
    instances: 1,
    store: 'memory',
    nginx: true,
  },
  {
    id: 'one-redis-nginx',
    label: 'one instance on Redis behind nginx',
    short: 'one on Redis + nginx',
    instances: 1,
    store: 'redis',
    nginx: true,
  },
  {
    id: 'two-redis-nginx',
    label: 'two instances on Redis behind nginx',
    short: 'two on Redis + nginx',
    instances: 2,
    store: 'redis',
    nginx: true,
  },
];

/** The instance comparison of a bench run. */
export interface ClusterPlan {
  targets: TargetId[];
  profiles: ProfilePlan[];
  /**
   * Concurrency → rounds: each scenario at that concurrency is measured this many times on every topology, the
   * topologies taking turns, and the round with the median server-side CPU per token is kept (default one). Light
   * loads need it: a scenario of a few seconds at c=10 moves by ±15% between consecutive runs on a shared machine.
   */
  rounds?: Record<number, number>;
}

/** A deployed topology: where clients connect, and every server-side process to measure. */
export interface Deployment {
  url: string;
  instances: BenchChild[];
  nginx?: RunningNginx;
  redis?: TestRedis;
  stop(): Promise<void>;
}

/** Why the comparison cannot run here (a missing Debian package), or undefined. */
export function clusterPrerequisites(): string | undefined {
  const missing = [
    NGINX === 'nginx' && 'nginx',
    !['/usr/bin/redis-server', '/usr/local/bin/redis-server'].some((path) => existsSync(path)) && 'redis-server',
  ].filter(Boolean);
  return missing.length > 0 ? `not installed: ${missing.join(', ')} (apt-get install nginx redis-server)` : undefined;
}

/**
 * Every topology × profile × concurrency × kit mode of the plan. All server-side processes of a topology (instances,
 * nginx master and workers, redis-server) share the server core, so each topology gets the same CPU budget: the
 * comparison shows what the shared path costs, not what more cores would add.
 */
export async function runCluster(
  lab: Lab,
  plan: ClusterPlan,
  root: string,
  log: (line: string) => void,
  only?: TopologyId[],
): Promise<ClusterResults> {
  const skipped = clusterPrerequisites();
  if (skipped) {
    log(`instance comparison skipped: ${skipped}`);
    return { topologies: [...TOPOLOGIES], entries: [], skipped };
  }
  const entries: ClusterEntry[] = [];
  const chosen = TOPOLOGIES.filter(({ id }) => !only || only.includes(id));
  // Every topology stays deployed (the others idle) while each scenario is measured on each in turn, so a slow
  // stretch of the machine falls on all of them alike instead of on whichever was measured then.
  const deployments: Array<{ topology: Topology; deployment: Deployment }> = [];
  try {
    for (const topology of chosen) {
      const deployment = await deploy(lab, topology, root);
      deployments.push({ topology, deployment });
      log(`${topology.label}: ${deployment.instances.length} instance(s) ready at ${deployment.url}`);
    }
    for (const profile of plan.profiles) {
      for (const [level, chats] of Object.entries(profile.chats)) {
        const rounds = plan.rounds?.[Number(level)] ?? 1;
        for (const id of plan.targets) {
          const spec = { model: profile.model, concurrency: Number(level), chats, chatTimeoutMs: 60_000 };
          const measured = new Map<TopologyId, ClusterEntry[]>();
          for (let round = 0; round < rounds; round++) {
            for (const { topology, deployment } of deployments) {
              const entry = await measure(lab, deployment, topology, id, spec);
              measured.set(topology.id, [...(measured.get(topology.id) ?? []), entry]);
              const commands = entry.redisCommands
                ? `, ${(entry.redisCommands.total / Math.max(1, entry.load.chats)).toFixed(0)} redis commands/chat`
                : '';
              const of = rounds > 1 ? ` (round ${round + 1} of ${rounds})` : '';
              log(
                `[${topology.id}] ${describeEntry(entry)}, server side ${serverCpuPerThousand(entry).toFixed(1)} ms cpu/1k tokens${commands}${of}`,
              );
            }
          }
          for (const { topology } of deployments) entries.push(medianRound(measured.get(topology.id) ?? []));
        }
      }
    }
  } finally {
    for (const { deployment } of deployments) await deployment.stop();
  }
  return { topologies: [...TOPOLOGIES], entries };
}

// Chats of the run that warms a deployment up again after the reset before a measured scenario (at least one per
// user of the scenario's concurrency).
const REWARM_CHATS = 20;

/** Server-side CPU ms (instances, nginx, redis-server) per 1,000 tokens delivered. */
export function serverCpuPerThousand(entry: ClusterEntry): number {
  const serverCpuMs = entry.cpuMs.instances + (entry.cpuMs.nginx ?? 0) + (entry.cpuMs.redis ?? 0);
  return (serverCpuMs / Math.max(1, entry.load.tokens)) * 1000;
}

/**
 * The round with the median server-side CPU per token (the lower middle one of an even count), carrying every
 * round's figure in `roundsCpuPerThousand`; a single round as it is.
 */
export function medianRound(rounds: ClusterEntry[]): ClusterEntry {
  if (rounds.length < 2) return rounds[0] as ClusterEntry;
  const sorted = [...rounds].sort((a, b) => serverCpuPerThousand(a) - serverCpuPerThousand(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as ClusterEntry;
  return { ...median, roundsCpuPerThousand: rounds.map(serverCpuPerThousand) };
}

/**
 * Where a deployment's processes run: by default all on the lab's server core; `spread` pins instance i to core i
 * (modulo the cores there are) and leaves nginx and redis-server to the scheduler, one instance per core.
 */
export interface DeployPlacement {
  spread?: { cores: number };
}

/** Starts a topology's processes (redis-server, the instances, nginx) and answers where clients connect. */
export async function deploy(
  lab: Lab,
  topology: Topology,
  root: string,
  placement: DeployPlacement = {},
): Promise<Deployment> {
  const kit = targetById('kit-sse');
  const redis = topology.store === 'redis' ? await startRedisServer() : undefined;
  const started: BenchChild[] = [];
  let nginx: RunningNginx | undefined;
  const stop = async () => {
    for (const instance of started) await instance.stop();
    await nginx?.stop();
    await redis?.stop('SIGTERM');
  };
  try {
    const { spread } = placement;
    // Spread: no core of its own, but the same priority as the instances.
    const { priority } = lab.serverPlacement;
    const shared: Placement = spread ? (priority === undefined ? {} : { priority }) : lab.serverPlacement;
    if (redis) placeProcess(redis.pid, shared);
    const args = redis ? [`--redis=${redis.url}`] : [];
    for (let count = 0; count < topology.instances; count++) {
      const instance = await lab.startServer(kit, args);
      if (spread && instance.process.pid !== undefined)
        placeProcess(instance.process.pid, { core: count % spread.cores });
      started.push(instance);
    }
    const urls = await Promise.all(started.map((instance) => instance.ipc.call<string>('ready')));
    if (topology.nginx) {
      nginx = await startNginx({
        backend: urls.map((url) => new URL(url).host),
        conf: join(root, 'nginx/nginx.conf'),
        root: join(root, 'examples/svelte-web/dist'),
      });
      for (const pid of processTree(nginx.pid)) placeProcess(pid, shared);
    }
    return {
      url: nginx?.url ?? (urls[0] as string),
      instances: started,
      ...(nginx ? { nginx } : {}),
      ...(redis ? { redis } : {}),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs one scenario against a deployment and reads the CPU time of each of its processes around it. */
export async function measure(
  lab: Lab,
  deployment: Deployment,
  topology: Topology,
  target: TargetId,
  spec: { model: string; concurrency: number; chats: number; chatTimeoutMs: number },
): Promise<ClusterEntry> {
  const sampleAll = (type: 'reset' | 'sample') =>
    Promise.all(deployment.instances.map((instance) => instance.ipc.call<ServerSample>(type)));
  // nginx's workers and redis-server: their CPU time from /proc, read around the scenario like the instances' own.
  const nginxPids = deployment.nginx ? processTree(deployment.nginx.pid) : [];
  const redisPids = deployment.redis ? [deployment.redis.pid] : [];
  // The reset's forced collections settle the heap, and V8 throws away the optimized code that depended on objects
  // they freed ("weak objects"): dozens of functions, more on the Redis path (ioredis's among them). A short run of
  // the same scenario lets the JIT compile them again before the window opens, so the window holds the steady state,
  // not a recompilation the bench itself caused (a third of the instance's CPU in a 60-chat scenario on Redis).
  await sampleAll('reset');
  const rewarm = Math.min(spec.chats, Math.max(REWARM_CHATS, spec.concurrency));
  await lab.runLoad({ ...spec, chats: rewarm, target, url: deployment.url });
  const before = await sampleAll('sample');
  const nginxBefore = processesCpuMs(nginxPids);
  const redisBefore = processesCpuMs(redisPids);
  const instancePids = deployment.instances.flatMap((instance) =>
    instance.process.pid === undefined ? [] : [instance.process.pid],
  );
  const switchesBefore = [processesContextSwitches(instancePids), processesContextSwitches(redisPids)] as const;
  const commandsBefore = deployment.redis ? await readCommandCounts(deployment.redis.port) : undefined;
  const hostBefore = readHostCpu();
  const load = await lab.runLoad({ ...spec, target, url: deployment.url });
  const hostAfter = readHostCpu();
  const commandsAfter = deployment.redis ? await readCommandCounts(deployment.redis.port) : undefined;
  const after = await sampleAll('sample');
  const cpu = (sample: ServerSample) => (sample.cpu.user + sample.cpu.system) / 1000;
  const instancesCpuMs = after.reduce((sum, sample, index) => sum + cpu(sample) - cpu(before[index]!), 0);
  const entry: ClusterEntry = {
    topology: topology.id,
    target,
    model: spec.model,
    concurrency: spec.concurrency,
    load,
    cpuMs: {
      instances: instancesCpuMs,
      ...(deployment.nginx ? { nginx: processesCpuMs(nginxPids) - nginxBefore } : {}),
      ...(deployment.redis ? { redis: processesCpuMs(redisPids) - redisBefore } : {}),
    },
    instanceRequests: after.map((sample, index) => sample.wire.requests - before[index]!.wire.requests),
  };
  const switchesSince = (pids: number[], before: ContextSwitches): ContextSwitches => {
    const now = processesContextSwitches(pids);
    return { voluntary: now.voluntary - before.voluntary, preempted: now.preempted - before.preempted };
  };
  entry.contextSwitches = {
    instances: switchesSince(instancePids, switchesBefore[0]),
    ...(deployment.redis ? { redis: switchesSince(redisPids, switchesBefore[1]) } : {}),
  };
  const commands = commandsBetween(commandsBefore, commandsAfter);
  if (commands) entry.redisCommands = commands;
  if (hostBefore && hostAfter) {
    const ours = load.clientCpuMs + entry.cpuMs.instances + (entry.cpuMs.nginx ?? 0) + (entry.cpuMs.redis ?? 0);
    entry.otherCpuMs = Math.max(0, hostAfter.busyMs - hostBefore.busyMs - ours);
  }
  return entry;
}
