import type { BenchResults } from '../results.js';
import { bytes, ms, num, ratio, table } from './format.js';
import { label } from './measured.js';
import { indexResults, type ResultsIndex } from './metrics.js';
import { maxStreams } from './ramp-tables.js';

/**
 * This run against the previous full run in bench/results/: the kit's cost per token and its ratio to the floor
 * measured in each run, polling's requests per chat and the concurrency ramp. Each run's ratios are its own (kit and
 * floor side by side), so the change in a ratio is the kit's, not the machine's.
 */
export function previousRunSection(current: BenchResults, previous: BenchResults, previousFile: string): string[] {
  const now = indexResults(current);
  const before = indexResults(previous);
  const commit = (results: BenchResults) =>
    `\`${results.machine.commit.slice(0, 12)}\`${results.machine.dirty ? '+' : ''}`;
  const rows: string[][] = [];
  for (const [kit, floor] of [
    ['kit-sse', 'bare-sse'],
    ['kit-ws', 'bare-ws'],
  ] as const) {
    for (const level of now.concurrencies('sim/instant')) {
      const cell = (index: ResultsIndex) => {
        const mine = index.get(kit, 'sim/instant', level);
        const theirs = index.get(floor, 'sim/instant', level);
        if (!mine?.serverCpuMsPer1kTokens || !theirs?.serverCpuMsPer1kTokens) return undefined;
        return {
          cpu: mine.serverCpuMsPer1kTokens,
          ratio: mine.serverCpuMsPer1kTokens / theirs.serverCpuMsPer1kTokens,
          rate: mine.tokensPerSecond,
        };
      };
      const was = cell(before);
      const is = cell(now);
      if (!was || !is) continue;
      rows.push([
        label(kit),
        String(level),
        `${ms(was.cpu)} → ${ms(is.cpu)}`,
        `${ratio(was.ratio)} → ${ratio(is.ratio)}`,
        `${num(was.rate)} → ${num(is.rate)}`,
      ]);
    }
  }
  const out = [
    '## Since the previous run',
    '',
    `The previous full run (\`${previousFile}\`, commit ${commit(previous)}) against this one (commit ${commit(current)}), zero-delay model. Each ratio is kit ÷ floor within its own run.`,
    '',
    table(['kit mode', 'c', 'server CPU ms / 1k tokens', 'kit ÷ floor (CPU)', 'tokens/s'], rows),
    '',
  ];
  const polling = (index: ResultsIndex) => index.get('kit-polling', 'sim/gpt-oss-20b', 10);
  const pollWas = polling(before);
  const pollIs = polling(now);
  if (pollWas?.requestsPerChat !== undefined && pollIs?.requestsPerChat !== undefined) {
    out.push(
      `Polling on \`sim/gpt-oss-20b\` at c=10: ${num(pollWas.requestsPerChat)} → ${num(pollIs.requestsPerChat)} HTTP requests and ${bytes(pollWas.bytesPerChat)} → ${bytes(pollIs.bytesPerChat)} per chat.`,
      '',
    );
  }
  const ramps = current.ramps
    .map((ramp) => {
      const old = previous.ramps.find((item) => item.target === ramp.target);
      return old ? `${label(ramp.target)} ${maxStreams(old)} → ${maxStreams(ramp)}` : undefined;
    })
    .filter((line): line is string => line !== undefined);
  if (ramps.length > 0) out.push(`Concurrent streams held: ${ramps.join('; ')}.`, '');
  return out;
}
