import { floorPairCosts, type FloorPairCost } from '../floor-ratios.js';
import type { BenchResults } from '../results.js';
import { targetById } from '../targets.js';
import { num, ratio, table } from './format.js';
import { noiseSummary, runOrigin } from './measured.js';
import { derive } from './metrics.js';

/** The budgets the kit holds itself to against the bare transports. */
const CPU_BUDGET = 1.2;
const TTFT_BUDGET_MS = 0.5;

const ms = (value: number) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)} ms`;
const range = (min: string, max: string, count: number) => (count > 1 ? ` (${min} to ${max})` : '');

function row(cost: FloorPairCost): string[] {
  const { cpuRatio, ttftDelta } = cost;
  const verdict = [
    cpuRatio.median <= CPU_BUDGET ? `CPU within ×${CPU_BUDGET}` : `**CPU over ×${CPU_BUDGET}**`,
    ttftDelta.median <= TTFT_BUDGET_MS ? `TTFT within +${TTFT_BUDGET_MS} ms` : `**TTFT over +${TTFT_BUDGET_MS} ms**`,
  ];
  return [
    `${targetById(cost.kit).label} vs ${targetById(cost.floor).label}`,
    `${num(cost.cpuPer1k.kit.median)} vs ${num(cost.cpuPer1k.floor.median)}`,
    `**${ratio(cpuRatio.median)}**${range(ratio(cpuRatio.min), ratio(cpuRatio.max), cpuRatio.count)}`,
    `${num(cost.ttftP50.kit.median, 2)} vs ${num(cost.ttftP50.floor.median, 2)}`,
    `**${ms(ttftDelta.median)}**${range(ms(ttftDelta.min), ms(ttftDelta.max), ttftDelta.count)}`,
    cost.gcRatio
      ? `${ratio(cost.gcRatio.median)}${range(ratio(cost.gcRatio.min), ratio(cost.gcRatio.max), cost.gcRatio.count)}`
      : '–',
    cost.errors > 0 ? `${verdict.join(', ')}, **${cost.errors} errors**` : verdict.join(', '),
  ];
}

/**
 * The paired comparison of the kit with the bare transports: CPU per token and time to first token, each taken within
 * a round. `run` is the run the figures come from (the report's own, or the newest `--pairs-only` run, then named by
 * `source`).
 */
export function floorPairSection(run: BenchResults | undefined, source: string | undefined): string[] {
  const pairs = run?.floorPairs;
  if (!run || !pairs || pairs.entries.length === 0) return [];
  const costs = floorPairCosts(pairs);
  if (costs.length === 0) return [];
  const noise = noiseSummary(pairs.entries.map(derive));
  const { when, command } = runOrigin(run, source, 'pairs');
  const rounds = `${pairs.rounds} round${pairs.rounds === 1 ? '' : 's'}`;
  return [
    '### In pairs: CPU per token and time to first token',
    '',
    `Each side runs in a server process of its own on the server core, for ${rounds}; a round measures the kit and its floor back to back (the kit first in one round, the floor first in the next), so each ratio and difference compares two scenarios seconds apart. CPU: server CPU ms per 1,000 tokens at c=${pairs.cpu.concurrency}, ${num(pairs.cpu.chats)} chats of ${run.settings.answerTokens} tokens on \`${pairs.model}\`. Time to first token: p50 of ${num(pairs.ttft.chats)} chats one at a time (the first includes the connection or socket set-up). Bold: the median over the rounds, lowest and highest in parentheses. Young GCs: young-generation collections per token in the CPU scenario, kit ÷ floor within a round, which follows how much each allocates per token (– for runs that did not count them). The budget: ×${CPU_BUDGET} the floor's CPU per token and +${TTFT_BUDGET_MS} ms time to first token.`,
    '',
    `From ${source ? `\`${source}\`` : 'this run'}: \`${command}\` of ${when}, commit \`${run.machine.commit.slice(0, 12)}\`${run.machine.dirty ? ' (with uncommitted changes)' : ''}, Node ${run.machine.node}. Other processes used a median of ${num(noise.median, 2)} cores (worst ${num(noise.worst, 2)}) during its scenarios.`,
    '',
    table(
      [
        'pair',
        `CPU ms / 1k tokens, c=${pairs.cpu.concurrency} (kit vs floor)`,
        'kit ÷ floor',
        'TTFT p50 ms, c=1 (kit vs floor)',
        'kit − floor',
        'young GCs per token, kit ÷ floor',
        'verdict',
      ],
      costs.map(row),
      ['l', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
  ];
}
