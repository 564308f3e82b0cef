import type { Topology, TopologyId } from '../cluster.js';
import type { ClusterEntry, ClusterResults } from '../results.js';
import type { TargetId } from '../targets.js';
import { ms, num, percent, ratio, table } from './format.js';
import { label } from './measured.js';
import { scalingSection } from './scaling.js';

/** Server-side CPU (instances + nginx + redis-server) per 1,000 tokens delivered. */
function cpuPer1k(entry: ClusterEntry): number {
  const { instances, nginx = 0, redis = 0 } = entry.cpuMs;
  return ((instances + nginx + redis) / Math.max(1, entry.load.tokens)) * 1000;
}

const tokensPerSecond = (entry: ClusterEntry) => entry.load.tokens / (entry.load.wallMs / 1000);

interface Index {
  topologies: Topology[];
  targets: TargetId[];
  scenarios: Array<{ model: string; concurrency: number }>;
  get(topology: TopologyId, target: TargetId, model: string, concurrency: number): ClusterEntry | undefined;
}

function indexCluster(cluster: ClusterResults): Index {
  const byKey = new Map(
    cluster.entries.map((entry) => [`${entry.topology}|${entry.target}|${entry.model}|${entry.concurrency}`, entry]),
  );
  const scenarios: Index['scenarios'] = [];
  for (const { model, concurrency } of cluster.entries) {
    if (!scenarios.some((seen) => seen.model === model && seen.concurrency === concurrency))
      scenarios.push({ model, concurrency });
  }
  return {
    topologies: cluster.topologies.filter((topology) =>
      cluster.entries.some((entry) => entry.topology === topology.id),
    ),
    targets: [...new Set(cluster.entries.map((entry) => entry.target))],
    scenarios,
    get: (topology, target, model, concurrency) => byKey.get(`${topology}|${target}|${model}|${concurrency}`),
  };
}

/** Tokens/s and TTFT side by side, one table per scenario. */
function sideBySide(index: Index, model: string, concurrency: number): string {
  const rows = index.targets.map((target) => [
    label(target),
    ...index.topologies.map((topology) => {
      const entry = index.get(topology.id, target, model, concurrency);
      if (!entry) return '–';
      const errors = entry.load.errors > 0 ? ` · **${entry.load.errors} errors**` : '';
      return `${num(tokensPerSecond(entry))} · ${ms(entry.load.ttftMs.p50)} / ${ms(entry.load.ttftMs.p99)}${errors}`;
    }),
  ]);
  return table(['mode', ...index.topologies.map((topology) => topology.short)], rows);
}

/** Server-side CPU per 1,000 tokens, against the single instance, and where it went. */
function costTable(index: Index, model: string, concurrency: number): string {
  const rows = index.targets.map((target) => {
    const base = index.get('one', target, model, concurrency);
    return [
      label(target),
      ...index.topologies.map((topology) => {
        const entry = index.get(topology.id, target, model, concurrency);
        if (!entry) return '–';
        const cost = cpuPer1k(entry);
        const versus = base && topology.id !== 'one' ? ` (${ratio(cost / cpuPer1k(base))})` : '';
        const parts = [`node ${ms((entry.cpuMs.instances / Math.max(1, entry.load.tokens)) * 1000)}`];
        if (entry.cpuMs.nginx !== undefined)
          parts.push(`nginx ${ms((entry.cpuMs.nginx / Math.max(1, entry.load.tokens)) * 1000)}`);
        if (entry.cpuMs.redis !== undefined)
          parts.push(`redis ${ms((entry.cpuMs.redis / Math.max(1, entry.load.tokens)) * 1000)}`);
        return `${ms(cost)}${versus}: ${parts.join(' + ')}`;
      }),
    ];
  });
  return table(['mode', ...index.topologies.map((topology) => topology.short)], rows);
}

/** How nginx spread the requests over the two instances. */
function balance(index: Index): string | undefined {
  const shares = index.scenarios.flatMap(({ model, concurrency }) =>
    index.targets.flatMap((target) => {
      const entry = index.get('two-redis-nginx', target, model, concurrency);
      const [first = 0, second = 0] = entry?.instanceRequests ?? [];
      return first + second > 0 ? [first / (first + second)] : [];
    }),
  );
  if (shares.length === 0) return undefined;
  const worst = Math.max(...shares.map((share) => Math.abs(share - 0.5)));
  const spread = worst < 0.005 ? 'exactly half' : `between ${percent(0.5 - worst)} and ${percent(0.5 + worst)}`;
  return `nginx's round robin sent each instance ${spread} of the requests (WebSocket: of the handshakes) in every scenario.`;
}

/** Median over every mode and scenario of a topology's server-side CPU per token against another's. */
function medianRatio(
  index: Index,
  topology: TopologyId,
  against: TopologyId,
  targets: TargetId[] = index.targets,
): number | undefined {
  const ratios = index.scenarios.flatMap(({ model, concurrency }) =>
    targets.flatMap((target) => {
      const mine = index.get(topology, target, model, concurrency);
      const theirs = index.get(against, target, model, concurrency);
      return mine && theirs ? [cpuPer1k(mine) / cpuPer1k(theirs)] : [];
    }),
  );
  if (ratios.length === 0) return undefined;
  ratios.sort((a, b) => a - b);
  return ratios[Math.floor(ratios.length / 2)];
}

/** What the tables say, computed from them. */
function findings(index: Index, cluster: ClusterResults): string[] {
  const lines: string[] = [];
  const step = (topology: TopologyId, against: TopologyId, what: string) => {
    const value = medianRatio(index, topology, against);
    if (value !== undefined)
      lines.push(`- ${what}: ${ratio(value)} the server-side CPU per token (median over modes and scenarios).`);
  };
  step('one-nginx', 'one', 'nginx in front of one instance');
  step('one-redis-nginx', 'one-nginx', 'Redis behind it (runs, events, leases and limits in Redis instead of memory)');
  step(
    'two-redis-nginx',
    'one-redis-nginx',
    'a second instance on the same core (coordination through Redis, two event loops)',
  );
  const wsCheaper = medianRatio(index, 'one-redis-nginx', 'one', ['kit-ws']);
  if (wsCheaper !== undefined && wsCheaper < 1)
    lines.push(
      '- WebSocket costs less on Redis than in memory under load: a write to Redis takes a round trip, so the tokens that arrive meanwhile go out as one event and one frame (see [docs/PROTOCOL.md](PROTOCOL.md#runs-and-events)); the memory store writes, and sends, every token on its own.',
    );
  const failed = cluster.entries.filter((entry) => entry.load.errors > 0);
  for (const entry of failed) {
    const samples = entry.load.errorSamples.join(', ');
    const why = samples.includes('interrupted')
      ? ': the runs of an instance whose event loop stalled longer than its 3 s lease, writing nothing, were taken for dead and ended by the other instance (see [docs/OPERATIONS.md](OPERATIONS.md#several-instances), `CHATWIRE_LEASE_MS`)'
      : '';
    lines.push(
      `- Errors: ${entry.load.errors} of ${entry.load.chats} chats (${samples}) in ${label(entry.target)}, \`${entry.model}\` c=${entry.concurrency}, ${entry.topology}${why}.`,
    );
  }
  return lines;
}

/** The section of docs/COMPARISON.md on one instance against two behind nginx with Redis. */
export function clusterSection(
  cluster: ClusterResults | undefined,
  source: string | undefined,
  notes?: string,
): string[] {
  if (!cluster) return [];
  const out = ['## One instance or two behind nginx with Redis', ''];
  if (cluster.skipped || cluster.entries.length === 0) {
    out.push(`Not measured in this run: ${cluster.skipped ?? 'no scenario ran'}.`, '');
    return out;
  }
  const index = indexCluster(cluster);
  const redisShare = cluster.entries
    .filter((entry) => entry.topology === 'two-redis-nginx' && entry.cpuMs.redis)
    .map((entry) => entry.load.tokens / ((entry.cpuMs.redis as number) / 1000));
  out.push(
    'The same kit modes, deployed four ways, from the single process of `npm start` to what `docker-compose.yml` runs, one change at a time:',
    '',
    ...index.topologies.map(
      (topology) =>
        `- **${topology.label}** (\`${topology.short}\`): ${topology.instances} instance${topology.instances > 1 ? 's' : ''} of the reference kit (${topology.store === 'redis' ? '`createRedisBackend`: runs, the polling job queue and limits on one real `redis-server`' : 'memory store'}), ${topology.nginx ? "clients connect to Debian nginx running the repository's `nginx/nginx.conf` (round robin over the instances)" : 'clients connect to the instance directly'}.`,
    ),
    '',
    'All server-side processes of a topology (the instances, nginx master and workers, redis-server) are pinned to the same server core, so every topology has the same CPU budget: the tables show what the shared path costs, not what more cores add. On a machine with a core per instance, capacity grows with the instances until Redis or nginx is the limit; the CPU columns say how far that is. CPU time is read from the instances themselves and from `/proc` for nginx and redis-server.',
    '',
  );
  if (source) out.push(`These figures come from \`${source}\` (a \`--cluster-only\` run).`, '');
  out.push(...findings(index, cluster), '');
  for (const { model, concurrency } of index.scenarios) {
    out.push(
      `### \`${model}\`, c=${concurrency}`,
      '',
      'Tokens/s delivered · time to first token p50 / p99 (ms):',
      '',
      sideBySide(index, model, concurrency),
      '',
      'Server-side CPU per 1,000 tokens (ms), against the single instance, and where it went:',
      '',
      costTable(index, model, concurrency),
      '',
      ...roundsNote(cluster, index, model, concurrency),
    );
  }
  const spread = balance(index);
  if (spread) out.push(spread, '');
  if (redisShare.length > 0) {
    out.push(
      `Across the two-instance scenarios, redis-server carried between ${num(Math.min(...redisShare))} and ${num(Math.max(...redisShare))} tokens per second of its own CPU time: roughly what one Redis core could serve for these modes before it, not the instances, is the limit (the store does not support Redis Cluster).`,
      '',
    );
  }
  out.push(...scalingSection(cluster.scaling));
  if (notes) out.push(notes, '');
  return out;
}

/** For a scenario measured in several rounds: how many, and every round's server-side CPU per 1,000 tokens. */
function roundsNote(
  cluster: ClusterResults,
  index: ReturnType<typeof indexCluster>,
  model: string,
  concurrency: number,
): string[] {
  const scenario = cluster.entries.filter(
    (entry) => entry.model === model && entry.concurrency === concurrency && entry.roundsCpuPerThousand,
  );
  const first = scenario[0]?.roundsCpuPerThousand;
  if (!first) return [];
  const lines = index.topologies.flatMap((topology) => {
    const rows = scenario.filter((entry) => entry.topology === topology.id);
    if (rows.length === 0) return [];
    const figures = rows.map(
      (entry) => `${label(entry.target)} ${(entry.roundsCpuPerThousand ?? []).map((value) => num(value)).join(' / ')}`,
    );
    return [`- ${topology.short}: ${figures.join('; ')}`];
  });
  return [
    `Measured in ${first.length} rounds, the topologies taking turns scenario by scenario; the tables show the round with the median CPU per token. Every round's server-side CPU per 1,000 tokens (ms):`,
    '',
    ...lines,
    '',
  ];
}
