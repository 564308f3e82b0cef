#!/usr/bin/env node
/**
 * `npm run bench:report [-- results.json]`: renders docs/COMPARISON.md and its SVG charts (bench/results/charts/) from
 * a bench results file: the given one, else the newest full run in bench/results/, else the newest quick run.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartsFor } from './report/charts-for.js';
import { ms, num, table } from './report/format.js';
import { floorTable, headlineTable } from './report/comparisons.js';
import {
  label,
  noiseSummary,
  profileName,
  serverCostTable,
  throughputTable,
  ttftTable,
  wireTable,
} from './report/measured.js';
import { rampStepsTable, rampTable } from './report/ramp-tables.js';
import { derive, indexResults } from './report/metrics.js';
import { methodSection } from './report/method.js';
import { previousRunSection } from './report/previous-run.js';
import { choosingAMode } from './report/qualitative.js';
import type { BenchResults, ClusterResults } from './results.js';
import { clusterSection } from './report/cluster.js';
import { adapterSection } from './report/adapters.js';
import { floorPairSection } from './report/floor-pairs.js';
import { capacitySection } from './report/capacity.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const docPath = join(root, 'docs/COMPARISON.md');
const chartDir = join(root, 'bench/results/charts');

function newest(folder: string, suffix: string): string | undefined {
  if (!existsSync(folder)) return undefined;
  const files = readdirSync(folder)
    .filter((file) => file.endsWith(suffix))
    .sort();
  return files.length > 0 ? join(folder, files.at(-1) as string) : undefined;
}

/** The full run before `file` in bench/results/, to show what changed. */
function previousFull(file: string): string | undefined {
  const folder = join(root, 'bench/results');
  if (!existsSync(folder)) return undefined;
  const name = file.split('/').at(-1) ?? '';
  return readdirSync(folder)
    .filter((candidate) => candidate.endsWith('-full.json') && candidate < name)
    .sort()
    .map((candidate) => join(folder, candidate))
    .at(-1);
}

function pickResults(): string {
  const given = process.argv[2];
  if (given) return resolve(process.env.INIT_CWD ?? process.cwd(), given);
  const found =
    newest(join(root, 'bench/results'), '-full.json') ?? newest(join(root, 'bench/results/tmp'), '-quick.json');
  if (!found) throw new Error('no results: run `npm run bench` first');
  return found;
}

/**
 * The instance comparison: the run's own, else the newest `--cluster-only` run in bench/results/ (reported with its
 * file name).
 */
function clusterOf(results: BenchResults): { results?: ClusterResults; source?: string } {
  const file = newest(join(root, 'bench/results'), '-cluster.json');
  // A `--cluster-only` run made after the full run is the newer measurement of the same section.
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const newer = file !== undefined && (file.split('/').at(-1) ?? '') > stamp;
  if (results.cluster?.entries.length && !newer) return { results: results.cluster };
  const found = file ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResults).cluster : undefined;
  if (file && found) return { results: found, source: relative(root, file) };
  return results.cluster ? { results: results.cluster } : {};
}

/**
 * The adapter comparison: the run's own, else the newest `--adapters-only` run in bench/results/ (reported with its
 * file name).
 */
function adaptersOf(results: BenchResults): { run?: BenchResults; source?: string } {
  if (results.adapters?.entries.length) return { run: results };
  const file = newest(join(root, 'bench/results'), '-adapters.json');
  const found = file ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResults) : undefined;
  return file && found?.adapters ? { run: found, source: relative(root, file) } : {};
}

/**
 * The paired kit-against-floor comparison: the run's own, else the newest `--pairs-only` run in bench/results/
 * (reported with its file name).
 */
function floorPairsOf(results: BenchResults): { run?: BenchResults; source?: string } {
  if (results.floorPairs?.entries.length) return { run: results };
  const file = newest(join(root, 'bench/results'), '-pairs.json');
  const found = file ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResults) : undefined;
  return file && found?.floorPairs ? { run: found, source: relative(root, file) } : {};
}

/**
 * The capacity scenario: the run's own, else the newest `--capacity-only` run in bench/results/ (reported with its
 * file name).
 */
function capacityOf(results: BenchResults): { run?: BenchResults; source?: string } {
  if (results.capacity?.entries.length) return { run: results };
  const file = newest(join(root, 'bench/results'), '-capacity.json');
  const found = file ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResults) : undefined;
  return file && found?.capacity ? { run: found, source: relative(root, file) } : {};
}

function render(results: BenchResults, file: string): string {
  const cluster = clusterOf(results);
  const pairs = floorPairsOf(results);
  const adapters = adaptersOf(results);
  const adapterNotes = join(root, 'bench/notes/adapter-costs.md');
  const capacity = capacityOf(results);
  const capacityNotes = join(root, 'bench/notes/stream-memory.md');
  const index = indexResults(results);
  const charts = chartsFor(index, results.ramps);
  mkdirSync(chartDir, { recursive: true });
  for (const [name, svg] of Object.entries(charts)) writeFileSync(join(chartDir, name), svg);
  const chart = (name: string, alt: string) =>
    charts[name] ? `![${alt}](${relative(dirname(docPath), join(chartDir, name))})` : '';
  const { machine } = results;
  const noise = noiseSummary(results.scenarios.map(derive));
  const instant = index.models.includes('sim/instant') ? 'sim/instant' : undefined;
  const realistic = index.models.filter((model) => model !== 'sim/instant');
  const wireModel = realistic[0] ?? instant ?? 'sim/instant';
  const wireLevels = index.concurrencies(wireModel);
  const wireLevel = wireLevels.includes(10) ? 10 : (wireLevels[0] ?? 1);
  const floor = instant ? floorTable(index, instant) : undefined;
  const hotSpots = join(root, 'bench/notes/kit-hot-spots.md');
  const ramp = results.settings.ramp;
  const out: string[] = [];

  out.push(
    '# Comparing the four modes',
    '',
    '<!-- Generated by `npm run bench:report` from a `npm run bench` results file; edit bench/src/report/, not this file. -->',
    '',
    `chatwire delivers the same run over \`sync\`, \`polling\`, \`sse\` and \`ws\`. This page measures what each costs, against the model`,
    `called in process (the limit), bare \`http\` SSE and \`ws\` servers sending the same events (the transport floor), and two peers`,
    `a user might pick instead: the Vercel AI SDK's UI message stream and Socket.IO. Every figure below comes from one run, so`,
    `the ratios compare things measured side by side.`,
    '',
    `**This run:** ${results.quick ? 'quick' : 'full'} run of ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(results.durationMs / 1000)} s, commit \`${machine.commit.slice(0, 12)}\`${machine.dirty ? ' (with uncommitted changes)' : ''}, Node ${machine.node}, ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}. Server and load generator ${results.pinning.used ? `pinned to cores ${results.pinning.serverCore} and ${results.pinning.loadCore} with \`taskset\`` : 'not pinned (fewer than two cores or no `taskset`)'}${results.priority === undefined ? '' : `, both at nice ${results.priority}`}. Results: \`${relative(root, file)}\`.`,
    '',
    `> **Noise.** This machine was shared with other work while the bench ran: other processes used a median of ${num(noise.median, 2)} core${noise.median === 1 ? '' : 's'} (worst ${num(noise.worst, 2)}) of the ${machine.cores} during the scenarios (read from \`/proc/stat\`, listed per ramp step below). Absolute times are inflated by it; ratios between neighbours in the same run are the robust reading.`,
    '',
  );

  out.push('## At a glance', '');
  if (floor && instant) {
    out.push(
      `On the zero-delay model the kit's SSE and WS modes delivered tokens at ${ratioText(index, instant, 'kit-sse', 'bare-sse')} and ${ratioText(index, instant, 'kit-ws', 'bare-ws')} of the rate of the bare transports (highest concurrency measured), and spent up to ×${floor.worst.toFixed(2)} their server CPU per token${floor.worst > 1.2 ? ': more than the 20% budget, see [The kit against the bare transports](#the-kit-against-the-bare-transports)' : ', within the 20% budget'}.`,
      '',
    );
  }
  const headlineLevel = index.concurrencies(wireModel).includes(100) ? 100 : wireLevel;
  out.push(
    `\`${wireModel}\` at c=${headlineLevel}; the maximum streams come from the ramp below.`,
    '',
    headlineTable(index, wireModel, headlineLevel, results.ramps),
    '',
    chart(`ttft-${wireModel.replace(/^sim\//, '').replace(/[^a-z0-9-]/gi, '-')}.svg`, 'time to first token by mode'),
    '',
    chart('requests-per-chat.svg', 'HTTP requests per chat'),
    '',
    chart('bytes-per-chat.svg', 'bytes per chat'),
    '',
    chart('max-concurrency.svg', 'maximum concurrent streams'),
    '',
  );

  out.push('## Choosing a mode', '', choosingAMode(index, results.ramps, root), '');

  if (floor && instant) {
    out.push(
      '## The kit against the bare transports',
      '',
      `Zero-delay model (\`${instant}\`), so the figures are the cost of the server code itself. The floor writes the same event JSON in the same`,
      'encoding, one write per token, with no store, no run engine, no Koa, no resume and no backpressure handling. The verdict uses server CPU per',
      'token, which other work on the machine barely moves; tokens/s and total time are shown for context.',
      '',
      ...floorPairSection(pairs.run, pairs.source),
      ...(pairs.run ? ['### Each concurrency, measured once', ''] : []),
      floor.text,
      '',
    );
    if (existsSync(hotSpots)) out.push(readFileSync(hotSpots, 'utf8').trim(), '');
  }

  const previous = previousFull(file);
  if (previous && !results.quick) {
    const before = JSON.parse(readFileSync(previous, 'utf8')) as BenchResults;
    out.push(...previousRunSection(results, before, relative(root, previous)));
  }

  out.push(
    '## Time to first token',
    '',
    'From the first byte of the chat sent (connection set-up included) to the first token received; in parentheses the p50 over the in-process provider at the same concurrency.',
    '',
  );
  for (const model of index.models) {
    out.push(
      `### ${profileName(model)}`,
      '',
      ttftTable(index, model),
      '',
      chart(`ttft-${model.replace(/^sim\//, '').replace(/[^a-z0-9-]/gi, '-')}.svg`, `TTFT ${model}`),
      '',
    );
  }

  out.push(
    '## Total time and tokens per second',
    '',
    "Total: from the first byte sent to the terminal event. Tokens/s: tokens delivered over the scenario's wall time, all users together; in parentheses, the share of what the in-process provider reached.",
    '',
  );
  for (const model of index.models) out.push(`### ${profileName(model)}`, '', throughputTable(index, model), '');

  out.push(
    '## Requests and bytes per chat',
    '',
    `Counted on the server's sockets (TCP payload: request and status lines, headers, bodies, WebSocket frames; not IP/TCP headers), divided by the chats of the scenario. \`${wireModel}\` at c=${wireLevel}, ${results.settings.answerTokens} tokens per answer. Connections are kept alive and WebSocket / Socket.IO users keep their socket across chats, as real clients do.`,
    '',
    wireTable(index, wireModel, wireLevel, results.settings.answerTokens),
    '',
  );
  if (index.get('kit-polling', wireModel, wireLevel)?.entry.load.counters.sdkRequests !== undefined) {
    const polling = index.get('kit-polling', wireModel, wireLevel);
    out.push(
      `The SDK counted ${num(polling?.entry.load.counters.sdkRequests)} requests for the polling chats of that scenario, the server ${num(polling?.entry.server?.wire.requests)}.`,
      '',
    );
  }

  out.push(
    '## Server cost',
    '',
    'CPU time of the server process (`process.cpuUsage()` read by the server itself) over the scenario, per chat and per 1,000 tokens, and how busy its core was. RSS per open stream: (peak RSS during the scenario − RSS after warm-up and a full GC) ÷ concurrent chats; for the kit it includes the stored events of the run (the memory store keeps them while the run streams, and 15 s after).',
    '',
  );
  for (const model of index.models) out.push(`### ${profileName(model)}`, '', serverCostTable(index, model), '');

  out.push(
    ...adapterSection(
      adapters.run,
      adapters.source,
      existsSync(adapterNotes) ? readFileSync(adapterNotes, 'utf8').trim() : undefined,
    ),
  );

  out.push(
    ...capacitySection(
      capacity.run,
      capacity.source,
      existsSync(capacityNotes) ? readFileSync(capacityNotes, 'utf8').trim() : undefined,
    ),
  );

  if (results.ramps.length > 0 && ramp) {
    out.push(
      '## Maximum concurrent streams',
      '',
      `Ramp on \`${ramp.model}\`: ${ramp.rampInMs / 1000} s to start the users, then ${ramp.holdMs / 1000} s holding them, each user chatting back to back; steps of ${(ramp.steps ?? []).join(', ') || 'growing size'} users until one fails, then one step between the last pass and the failure. A step passes with no error and a p99 gap between token deliveries (pauses of 1 ms or more) within 10 ms of the model's own, measured in process in this run at c=50: ${ms(ramp.modelGapP99Ms)} ms, so the threshold is ${ms(ramp.thresholdMs)} ms (the profile's nominal gap is 15 ms ± 30%). When the load generator's core is as busy as the server's at the failing step, the limit is the machine, not the server alone.`,
      '',
      rampTable(results.ramps),
      '',
      '<details><summary>Every step</summary>',
      '',
      rampStepsTable(results.ramps),
      '',
      '</details>',
      '',
    );
  }

  const redisNotes = join(root, 'bench/notes/redis-hot-spots.md');
  out.push(
    ...clusterSection(
      cluster.results,
      cluster.source,
      existsSync(redisNotes) ? readFileSync(redisNotes, 'utf8').trim() : undefined,
    ),
  );

  if (results.groq && results.groq.length > 0) {
    out.push(
      '## Real Groq',
      '',
      "Each mode against `openai/gpt-oss-20b` on Groq, three chats at concurrency 1 (with `GROQ_API_KEY` set); network and Groq's load dominate.",
      '',
    );
    out.push(
      table(
        ['mode', 'TTFT p50 ms', 'total p50 ms', 'tokens/s', 'errors'],
        results.groq.map((entry) => {
          const derived = derive(entry);
          return [
            label(entry.target),
            ms(derived.ttftP50),
            ms(derived.totalP50),
            num(derived.tokensPerSecond),
            num(entry.load.errors),
          ];
        }),
      ),
      '',
    );
  }

  out.push(...methodSection(results, index.targets));
  return `${out
    .filter((line, position, all) => !(line === '' && all[position - 1] === ''))
    .join('\n')
    .trim()}\n`;
}

function ratioText(
  index: ReturnType<typeof indexResults>,
  model: string,
  kit: 'kit-sse' | 'kit-ws',
  floor: 'bare-sse' | 'bare-ws',
): string {
  const level = index.concurrencies(model).at(-1) ?? 1;
  const mine = index.get(kit, model, level);
  const theirs = index.get(floor, model, level);
  if (!mine || !theirs) return 'an unmeasured share of';
  return `${Math.round((mine.tokensPerSecond / theirs.tokensPerSecond) * 100)}%`;
}

const file = pickResults();
const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
writeFileSync(docPath, render(results, file));
console.log(`wrote ${relative(root, docPath)} and ${relative(root, chartDir)}/*.svg from ${relative(root, file)}`);
