#!/usr/bin/env node
/**
 * `npm run bench [-- --quick]`: the comparison lab's orchestrator. It starts the load generator (pinned to core 1) and,
 * for each target, a server process (pinned to core 0), runs every scenario of the plan, reads the server's CPU time,
 * RSS and wire counters over the bench-only IPC channel, and writes bench/results/<time>-<full|quick>.json.
 * The flags are listed in bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAdapterCosts } from './adapter-costs.js';
import { BASELINE_ADAPTER, KIT_ADAPTERS } from './adapters.js';
import { CAPACITY_SERVERS, runCapacity } from './capacity.js';
import type { CapacityServer } from './capacity-figures.js';
import { runCluster, type TopologyId } from './cluster.js';
import { runFloorPairs } from './floor-pairs.js';
import { runGroq } from './groq.js';
import { createLab } from './lab.js';
import { describeMachine } from './machine.js';
import { runMatrix } from './matrix.js';
import { createPlan } from './plan.js';
import { canPin } from './processes.js';
import { ANSWER_TOKENS } from './prompts.js';
import { runRamps } from './ramp.js';
import { runScaling } from './scaling.js';
import type { BenchResults } from './results.js';
import { TARGETS, type TargetId } from './targets.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);

const CORES = { server: 0, load: 1 };
// Other work on a shared machine would otherwise decide the figures: the measured processes run at a higher priority.
const PRIORITY = -10;

async function main(): Promise<void> {
  const began = Date.now();
  const plan = createPlan(flag('profile') ? 'profile' : flag('quick') ? 'quick' : 'full');
  const only = option('targets')?.split(',') as TargetId[] | undefined;
  const targets = TARGETS.filter((target) => !only || only.includes(target.id));
  const kitMetrics = !flag('no-kit-metrics');
  const pin = !flag('no-pin') && canPin();
  const priority = flag('no-priority') ? undefined : PRIORITY;
  const log = (line: string) => console.log(`[${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  log(
    `chatwire bench (${plan.quick ? 'quick' : 'full'}); ${pin ? `server on core ${CORES.server}, load on core ${CORES.load}` : 'no pinning'}`,
  );

  const lab = await createLab({
    distDir: here,
    ...(pin ? { cores: CORES } : {}),
    ...(priority === undefined ? {} : { priority }),
    ...(flag('cpu-prof') ? { profileDir: join(root, 'bench/results/tmp/profiles') } : {}),
    serverArgs: kitMetrics ? [] : ['--no-metrics'],
    warmupChats: plan.warmupChats,
    chatTimeoutMs: plan.chatTimeoutMs,
  });
  let results: BenchResults;
  try {
    const clusterOnly = flag('cluster-only');
    const adaptersOnly = flag('adapters-only');
    const pairsOnly = flag('pairs-only');
    const capacityOnly = flag('capacity-only');
    const onePart = clusterOnly || adaptersOnly || pairsOnly || capacityOnly || flag('ramp-only');
    const scenarios = onePart ? [] : await runMatrix(lab, plan, targets, log);
    const ramp =
      plan.ramp && !flag('no-ramp') && !clusterOnly && !adaptersOnly && !pairsOnly && !capacityOnly
        ? await runRamps(lab, plan.ramp, targets, log)
        : undefined;
    const clusterLevels = option('cluster-levels')?.split(',');
    const clusterPlan = plan.cluster && {
      ...plan.cluster,
      targets: plan.cluster.targets.filter((id) => targets.some((target) => target.id === id)),
      // --cluster-levels=10: only these concurrencies of each profile (a profile left with none is skipped).
      profiles: plan.cluster.profiles
        .map((profile) => ({
          ...profile,
          chats: Object.fromEntries(
            Object.entries(profile.chats).filter(([level]) => !clusterLevels || clusterLevels.includes(level)),
          ),
        }))
        .filter((profile) => Object.keys(profile.chats).length > 0),
    };
    const topologies = option('topologies')?.split(',') as TopologyId[] | undefined;
    const cluster =
      clusterPlan && !flag('no-cluster') && !flag('ramp-only') && !adaptersOnly && !pairsOnly && !capacityOnly
        ? await runCluster(lab, clusterPlan, root, log, topologies)
        : undefined;
    if (cluster && clusterPlan?.scaling && !flag('no-scaling') && !cluster.skipped) {
      const scalingTargets = clusterPlan.scaling.targets.filter((id) => targets.some((target) => target.id === id));
      cluster.scaling = await runScaling(lab, { ...clusterPlan.scaling, targets: scalingTargets }, root, log);
    }
    // Koa, the baseline, always; the others as --adapters= names them.
    const adapterIds = option('adapters')?.split(',');
    const adapters = KIT_ADAPTERS.filter(
      (adapter) => adapter.id === BASELINE_ADAPTER || !adapterIds || adapterIds.includes(adapter.id),
    );
    const adapterPlan = plan.adapters && {
      ...plan.adapters,
      targets: plan.adapters.targets.filter((id) => targets.some((target) => target.id === id)),
    };
    const adapterCosts =
      adapterPlan && !flag('no-adapters') && (adaptersOnly || !onePart)
        ? await runAdapterCosts(lab, adapterPlan, adapters, log)
        : undefined;
    const pairPlan = plan.floorPairs && {
      ...plan.floorPairs,
      pairs: plan.floorPairs.pairs.filter((pair) =>
        [pair.kit, pair.floor].every((id) => targets.some((target) => target.id === id)),
      ),
    };
    const floorPairs =
      pairPlan && pairPlan.pairs.length > 0 && !flag('no-pairs') && (pairsOnly || !onePart)
        ? await runFloorPairs(lab, pairPlan, log)
        : undefined;
    const capacityServers = option('capacity-servers')?.split(',') as CapacityServer[] | undefined;
    const capacityLevels = option('capacity-levels')?.split(',').map(Number);
    const capacityPlan = plan.capacity;
    const capacity =
      capacityPlan && !flag('no-capacity') && (capacityOnly || !onePart)
        ? await runCapacity(
            {
              ...capacityPlan,
              ...(capacityLevels ? { levels: capacityLevels } : {}),
              servers: CAPACITY_SERVERS.filter((server) =>
                capacityServers ? capacityServers.includes(server) : capacityPlan.servers.includes(server),
              ),
            },
            {
              distDir: here,
              ...(pin ? { cores: CORES } : {}),
              ...(priority === undefined ? {} : { priority }),
            },
            log,
          )
        : undefined;
    const groq = process.env.GROQ_API_KEY ? await runGroq(lab, targets, log) : undefined;
    results = {
      version: 1,
      startedAt: new Date(began).toISOString(),
      durationMs: Date.now() - began,
      quick: plan.quick,
      machine: describeMachine(root),
      pinning:
        pin && lab.load.pinned ? { used: true, serverCore: CORES.server, loadCore: CORES.load } : { used: false },
      ...(lab.load.prioritized && priority !== undefined ? { priority } : {}),
      settings: { answerTokens: ANSWER_TOKENS, kitMetrics, ...(ramp ? { ramp: ramp.settings } : {}) },
      scenarios,
      ramps: ramp?.ramps ?? [],
      ...(cluster ? { cluster } : {}),
      ...(adapterCosts ? { adapters: adapterCosts } : {}),
      ...(floorPairs ? { floorPairs } : {}),
      ...(capacity ? { capacity } : {}),
      ...(groq ? { groq } : {}),
    };
  } finally {
    await lab.stop();
  }
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const kind = plan.quick
    ? 'quick'
    : flag('cluster-only')
      ? 'cluster'
      : flag('adapters-only')
        ? 'adapters'
        : flag('pairs-only')
          ? 'pairs'
          : flag('capacity-only')
            ? 'capacity'
            : 'full';
  const file = option('out') ?? join(root, plan.quick ? 'bench/results/tmp' : 'bench/results', `${stamp}-${kind}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 1)}\n`);
  log(`wrote ${file}; render docs/COMPARISON.md with: npm run bench:report${plan.quick ? ` -- ${file}` : ''}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
