import { availableParallelism } from 'node:os';
import { TOPOLOGIES, clusterPrerequisites, deploy, measure, type Deployment, type Topology } from './cluster.js';
import { describeEntry, type Lab } from './lab.js';
import { canPin } from './processes.js';
import type { ScalingEntry, ScalingResults } from './results.js';
import type { TargetId } from './targets.js';

/** The scaling measurement of a bench run: one instance against two, one per core, at the same client load. */
export interface ScalingPlan {
  targets: TargetId[];
  model: string;
  concurrency: number;
  chats: number;
  /** Each round measures both deployments once per target, one right after the other. */
  rounds: number;
}

const ONE = TOPOLOGIES.find((topology) => topology.id === 'one-redis-nginx') as Topology;
const TWO = TOPOLOGIES.find((topology) => topology.id === 'two-redis-nginx') as Topology;

/**
 * Deploys one instance and two instances on Redis behind nginx side by side, instance i pinned to core i, nginx and
 * redis-server wherever the scheduler puts them (the load generator keeps its core), and measures the same load
 * against each, alternating, in rounds: the tokens/s ratio of two against one is what a second core gave, measured
 * minutes apart at most.
 */
export async function runScaling(
  lab: Lab,
  plan: ScalingPlan,
  root: string,
  log: (line: string) => void,
): Promise<ScalingResults> {
  const cores = availableParallelism();
  const base = { model: plan.model, concurrency: plan.concurrency, chats: plan.chats, cores, entries: [] };
  const skipped =
    clusterPrerequisites() ?? (cores < 2 || !canPin() ? 'fewer than two cores, or no taskset' : undefined);
  if (skipped) {
    log(`scaling skipped: ${skipped}`);
    return { ...base, skipped };
  }
  const entries: ScalingEntry[] = [];
  const deployments: Array<[Topology, Deployment]> = [];
  try {
    for (const topology of [ONE, TWO])
      deployments.push([topology, await deploy(lab, topology, root, { spread: { cores } })]);
    log(`scaling: one and two instances on Redis behind nginx, one instance per core`);
    for (let round = 0; round < plan.rounds; round++) {
      for (const target of plan.targets) {
        for (const [topology, deployment] of deployments) {
          const spec = { model: plan.model, concurrency: plan.concurrency, chats: plan.chats, chatTimeoutMs: 60_000 };
          const entry = await measure(lab, deployment, topology, target, spec);
          entries.push({ ...entry, instances: topology.instances, round });
          log(`[scaling ${topology.instances}] ${describeEntry(entry)}`);
        }
      }
    }
  } finally {
    for (const [, deployment] of deployments) await deployment.stop();
  }
  return { ...base, entries };
}
