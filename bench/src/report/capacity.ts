import { runOrigin } from './measured.js';
import {
  CAPACITY_BASELINE,
  CAPACITY_GOAL,
  capacityFigures,
  type CapacityFigure,
  type CapacityServer,
} from '../capacity-figures.js';
import { CAPACITY_SERVERS } from '../capacity.js';
import type { BenchResults } from '../results.js';
import { num, ratio, table } from './format.js';

const SERVER_LABELS: Record<CapacityServer, string> = {
  'relay-fetch': 'bare relay, global `fetch` (baseline)',
  'relay-http': 'bare relay, `node:http`',
  'kit-sse': 'kit SSE',
  'kit-ws': 'kit WS',
  'kit-polling': 'kit polling (held long polls)',
  'kit-sync': 'kit sync (held requests)',
};

const kib = (bytes: number) => (bytes / 1024).toFixed(1);

function heldCell(figure: CapacityFigure): string {
  const text = `${num(figure.alive, 0)} / ${num(figure.level, 0)}`;
  return figure.complete ? text : `**${text}**`;
}

function ratioCell(value: number | undefined, server: CapacityServer): string {
  if (server === CAPACITY_BASELINE) return '1';
  if (value === undefined) return '–';
  return value > CAPACITY_GOAL ? `**${ratio(value)}**` : ratio(value);
}

/**
 * The "Holding slow streams" section of docs/COMPARISON.md: memory per held stream and the server's responsiveness
 * while holding them, for the kit in each mode and the bare relays, with the ratio to the `fetch` relay measured in
 * the same run. `run` is the run the figures come from (the report's own, or the newest `--capacity-only` run, then
 * named by `source`); `notes` is the hand-written account of what a held stream keeps.
 */
export function capacitySection(run: BenchResults | undefined, source: string | undefined, notes?: string): string[] {
  const capacity = run?.capacity;
  if (!run || !capacity || capacity.entries.length === 0) return [];
  const figures = capacityFigures(capacity);
  const servers = CAPACITY_SERVERS.filter((server) => figures.some((figure) => figure.server === server));
  const { when, command } = runOrigin(run, source, 'capacity');
  const dirty = run.machine.serverDirty ?? run.machine.dirty;
  const commit = `\`${run.machine.commit.slice(0, 12)}\`${dirty ? ' (with uncommitted changes)' : ''}`;
  const rows = servers.flatMap((server) =>
    figures
      .filter((figure) => figure.server === server)
      .map((figure) => [
        SERVER_LABELS[server],
        num(figure.level, 0),
        heldCell(figure),
        kib(figure.rssPerStream),
        ratioCell(figure.rssRatio, server),
        kib(figure.heapPerStream),
        ratioCell(figure.heapRatio, server),
        num(figure.lagP99Ms),
        num(figure.healthP99Ms),
      ]),
  );
  const out = [
    '## Holding slow streams',
    '',
    `What a held stream costs the server: a fake Groq sends one token every ${num(capacity.tokenIntervalMs / 1000, 0)} s, every stream is a real upstream request (the kit through its Groq provider and groq-sdk; the relays through the global \`fetch\` or \`node:http\`, relaying Groq's stream byte for byte with nothing else), and a client holds ${capacity.levels.map((level) => num(level, 0)).join(', ')} streams open at once. The kit is mounted with \`kit.handler()\` on \`node:http\`, like the relays, with the bench server's options (metrics on, the memory store, which keeps each run's events while it streams). Each server runs in a fresh process on the server core; after a warm-up of 20 short answers and a full GC its idle memory is read, then each level is opened, held ${num(capacity.holdMs / 1000, 0)} s while the event-loop delay (\`monitorEventLoopDelay\`, 10 ms resolution) and a \`GET /healthz\` every ${capacity.healthEveryMs} ms on a connection of its own are sampled, and the memory is read again after a full GC. RSS and heap per stream: (reading − idle reading) ÷ streams held. Held: streams that received a token in the last ${num(capacity.aliveWindowMs / 1000, 1)} s (sync: still open, as it sends nothing before the end) of those asked for, in bold when short. Ratios are to the \`fetch\` relay at the same level, in bold above the goal of ×${CAPACITY_GOAL}.`,
    '',
    `These figures come from ${source ? `\`${source}\`` : 'this run'}: \`${command}\` of ${when}, commit ${commit}, Node ${run.machine.node}, open-file limit ${capacity.fileLimit < 0 ? 'unlimited' : num(capacity.fileLimit, 0)}${capacity.skippedLevels.length > 0 ? ` (too low for ${capacity.skippedLevels.join(', ')} streams, skipped)` : ''}.`,
    '',
    table(
      [
        'server',
        'streams',
        'held',
        'RSS KiB / stream',
        '× fetch relay',
        'heap KiB / stream',
        '× fetch relay',
        'event-loop delay p99 ms',
        '/healthz p99 ms',
      ],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
  ];
  const stopped = capacity.entries.filter((entry) => entry.stopped);
  if (stopped.length > 0) {
    out.push(
      `Stopped early: ${stopped.map((entry) => `${SERVER_LABELS[entry.server]} (${entry.stopped})`).join('; ')}.`,
      '',
    );
  }
  if (notes) out.push(notes, '');
  return out;
}
