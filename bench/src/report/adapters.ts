import type { Mode } from '@chatwire/protocol';
import { adapterCosts, type AdapterCost } from '../adapter-ratios.js';
import { adapterById, BASELINE_ADAPTER, KIT_ADAPTERS } from '../adapters.js';
import type { BenchResults } from '../results.js';
import { targetById, type TargetId } from '../targets.js';
import { num, ratio, table } from './format.js';
import { noiseSummary, runOrigin } from './measured.js';
import { derive } from './metrics.js';

/** Adapters whose median CPU per token in some mode is above this many times Koa's are called out. */
const COSTLY = 1.3;

const cpu = (value: number) => value.toFixed(1);

const MODE_NAMES: Record<Mode, string> = { sync: 'sync', polling: 'polling', sse: 'SSE', ws: 'WS' };
const modeName = (target: TargetId) => {
  const { mode } = targetById(target);
  return mode ? MODE_NAMES[mode] : target;
};

function cell(cost: AdapterCost | undefined): string {
  if (!cost) return '–';
  const errors = cost.errors > 0 ? ` · **${cost.errors} errors**` : '';
  const { cpuPer1k, ratio: versus } = cost;
  if (!versus) return `${cpu(cpuPer1k.median)} (${cpu(cpuPer1k.min)}–${cpu(cpuPer1k.max)})${errors}`;
  const range = versus.count > 1 ? ` (${ratio(versus.min)}–${ratio(versus.max)})` : '';
  return `${cpu(cpuPer1k.median)} · **${ratio(versus.median)}**${range}${errors}`;
}

/**
 * The section of docs/COMPARISON.md on what each framework adapter costs: the kit's server CPU per token through
 * each adapter against Koa's, measured in the same run. `run` is the run the figures come from (the report's own run,
 * or the newest `--adapters-only` run, then named by `source`); `notes` is the hand-written reading of its profiles.
 */
export function adapterSection(run: BenchResults | undefined, source: string | undefined, notes?: string): string[] {
  const adapters = run?.adapters;
  if (!run || !adapters || adapters.entries.length === 0) return [];
  const costs = adapterCosts(adapters);
  const targets = [...new Set(costs.map((cost) => cost.target))];
  const present = KIT_ADAPTERS.filter((adapter) => costs.some((cost) => cost.adapter === adapter.id));
  const get = (target: string, adapter: string) =>
    costs.find((cost) => cost.target === target && cost.adapter === adapter);
  const noise = noiseSummary(adapters.entries.map(derive));
  const { when, command } = runOrigin(run, source, 'adapters');
  const { machine } = run;
  const changes =
    machine.serverDirty === undefined
      ? machine.dirty
        ? ' (with uncommitted changes)'
        : ''
      : machine.serverDirty
        ? ' (with uncommitted changes to packages/protocol or packages/server-kit)'
        : machine.dirty
          ? ' (packages/protocol and packages/server-kit as committed; uncommitted changes elsewhere)'
          : '';
  const commit = `\`${machine.commit.slice(0, 12)}\`${changes}`;
  const baseline = adapterById(BASELINE_ADAPTER).name;
  const rounds = `${adapters.rounds} round${adapters.rounds === 1 ? '' : 's'}`;
  const out = [
    '## What each framework adapter costs',
    '',
    `The reference server mounts the kit in ${baseline}. Here the same kit, with the same options (the bench server's: metrics on, the memory store), is mounted through each of its adapters as its README shows, with the framework's defaults and nothing else mounted. Each adapter runs in a server process of its own on the server core, paired with a ${baseline} server of its own (so both serve the same chats and hold the same stored runs). Server CPU ms per 1,000 tokens on \`${adapters.model}\` (zero delay: the code's cost alone) at c=${adapters.concurrency}, ${num(adapters.chats)} chats of ${run.settings.answerTokens} tokens per scenario, ${rounds}: a round measures each pair back to back, the adapter first in one round and ${baseline} first in the next, and the ratio is taken within the pair, a second or two apart. Each cell: the adapter's median CPU per token over the rounds, then the median ratio to ${baseline} in bold with the lowest and highest in parentheses; for ${baseline}, the median and range over all its scenarios.`,
    '',
    `These figures come from ${source ? `\`${source}\`` : 'this run'}: \`${command}\` of ${when}, commit ${commit}, Node ${machine.node}. Other processes used a median of ${num(noise.median, 2)} cores (worst ${num(noise.worst, 2)}) during its scenarios.`,
    '',
    table(
      ['adapter', 'mounted with', ...targets.map((target) => `${modeName(target)}: ms / 1k tokens · × ${baseline}`)],
      present.map((adapter) => [
        adapter.label,
        adapter.mount,
        ...targets.map((target) => cell(get(target, adapter.id))),
      ]),
      ['l', 'l', ...targets.map(() => 'r' as const)],
    ),
    '',
    `WebSocket is not measured per adapter: every adapter serves it through the same \`kit.attachWebSocket(server)\` on Node's \`http.Server\`, so the framework sees neither the upgrade nor the frames, and the WS figures above hold for all of them.`,
    '',
  ];
  const costly = costs.filter((cost) => (cost.ratio?.median ?? 0) > COSTLY);
  if (costly.length > 0) {
    const list = costly.map(
      (cost) => `${adapterById(cost.adapter).name} in ${modeName(cost.target)} (${ratio(cost.ratio?.median)})`,
    );
    out.push(`More than ×${COSTLY} ${baseline}'s CPU per token: ${list.join(', ')}.`, '');
  }
  if (notes) out.push(notes, '');
  return out;
}
