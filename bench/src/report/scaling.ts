import type { ClusterEntry, ScalingEntry, ScalingResults } from '../results.js';
import type { TargetId } from '../targets.js';
import { ms, num, ratio, table } from './format.js';
import { label } from './measured.js';

const median = (values: number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const tokensPerSecond = (entry: ClusterEntry) => entry.load.tokens / (entry.load.wallMs / 1000);
const perThousand = (cpuMs: number | undefined, entry: ClusterEntry) =>
  cpuMs === undefined ? undefined : (cpuMs / Math.max(1, entry.load.tokens)) * 1000;

/** Per mode: CPU ms per 1,000 tokens of one instance, of nginx and of redis-server, medians over the rounds. */
export interface PerTokenCosts {
  target: TargetId;
  node: number;
  nginx: number;
  redis: number;
}

/** The per-process costs of the two-instance deployment, per mode (the instances' CPU split per instance count). */
export function perTokenCosts(scaling: ScalingResults): PerTokenCosts[] {
  const targets = [...new Set(scaling.entries.map((entry) => entry.target))];
  return targets.flatMap((target) => {
    const runs = scaling.entries.filter((entry) => entry.target === target && entry.instances === 2);
    const node = median(runs.map((entry) => perThousand(entry.cpuMs.instances, entry) ?? 0));
    const nginx = median(runs.map((entry) => perThousand(entry.cpuMs.nginx, entry) ?? 0));
    const redis = median(runs.map((entry) => perThousand(entry.cpuMs.redis, entry) ?? 0));
    return node === undefined || nginx === undefined || redis === undefined ? [] : [{ target, node, nginx, redis }];
  });
}

/** Median over the rounds of two instances' tokens/s against one's, each pair measured back to back. */
function measuredRows(scaling: ScalingResults): string[][] {
  const targets = [...new Set(scaling.entries.map((entry) => entry.target))];
  return targets.map((target) => {
    const of = (instances: number) =>
      scaling.entries.filter((entry) => entry.target === target && entry.instances === instances);
    const [one, two] = [of(1), of(2)];
    const pairs = one.flatMap((entry) => {
      const partner = two.find((other: ScalingEntry) => other.round === entry.round);
      return partner ? [tokensPerSecond(partner) / tokensPerSecond(entry)] : [];
    });
    const errors = [...one, ...two].reduce((sum, entry) => sum + entry.load.errors, 0);
    return [
      label(target),
      num(median(one.map(tokensPerSecond)), 0),
      num(median(two.map(tokensPerSecond)), 0),
      `${ratio(median(pairs))}${errors > 0 ? ` (**${errors} errors**)` : ''}`,
    ];
  });
}

/** Instances one Redis (and one nginx worker core) serves before it is the limit, from the per-token costs. */
function estimateRows(costs: PerTokenCosts[]): string[][] {
  return costs.map(({ target, node, nginx, redis }) => [
    label(target),
    `${ms(node)} · ${ms(nginx)} · ${ms(redis)}`,
    num(1000_000 / node / 1000, 1),
    num(redis > 0 ? 1000_000 / redis / 1000 : undefined, 0),
    num(redis > 0 ? node / redis : undefined, 1),
    num(nginx > 0 ? node / nginx : undefined, 1),
  ]);
}

/** The scaling part of the instance section of docs/COMPARISON.md: measured 1 → 2, and the estimate for N. */
export function scalingSection(scaling: ScalingResults | undefined): string[] {
  if (!scaling) return [];
  const out = ['### One instance per core: scaling measured, and estimated for N', ''];
  if (scaling.skipped || scaling.entries.length === 0) {
    out.push(`Not measured in this run: ${scaling.skipped ?? 'no scenario ran'}.`, '');
    return out;
  }
  const rounds = new Set(scaling.entries.map((entry) => entry.round)).size;
  out.push(
    `One instance and two instances on Redis behind nginx, deployed side by side: instance *i* pinned to core *i* of the ${scaling.cores}, nginx and redis-server left to the scheduler, the load generator on its usual core (so the second instance shares a core with it). Both get the same client load, \`${scaling.model}\` at c=${scaling.concurrency}, ${scaling.chats} chats per scenario, ${rounds} round${rounds === 1 ? '' : 's'}, one deployment right after the other in each round; medians over the rounds.`,
    '',
    table(['mode', 'one instance, tokens/s', 'two instances, tokens/s', 'two ÷ one'], measuredRows(scaling)),
    '',
  );
  const costs = perTokenCosts(scaling);
  if (costs.length > 0) {
    out.push(
      'On paper, for N instances each with a core of its own: an instance serves 1 / (its CPU per token) tokens per second, and so does Redis, on the one core its commands run on. Redis is the limit once N × (instance tokens/s) passes its own figure, after **node ÷ redis** instances; nginx spreads over its worker processes, so one of its cores lasts **node ÷ nginx** instances. Costs are those of the two-instance deployment above, per 1,000 tokens:',
      '',
      table(
        [
          'mode',
          'CPU ms per 1k tokens: node · nginx · redis',
          'one instance, k tokens/s per core',
          'Redis, k tokens/s per core',
          'instances per Redis',
          'instances per nginx core',
        ],
        estimateRows(costs),
      ),
      '',
      'The estimate leaves out what a real deployment adds: the network between hosts (Redis round trips grow from microseconds to a fraction of a millisecond, which the write-behind window absorbs), the model provider, and TLS at nginx.',
      '',
    );
  }
  return out;
}
