import type { BenchResults } from '../results.js';
import { TARGETS, type TargetId } from '../targets.js';
import { table } from './format.js';

const DESCRIPTIONS: Record<TargetId, string> = {
  direct: 'the simulated provider iterated in the load generator process: no server, no network',
  'kit-sync': '`POST /api/sync/chat` on the kit',
  'kit-polling':
    '`POST /api/async/chat` then long polls `GET /api/async/status/:id?after&wait`, through the client SDK',
  'kit-sse': '`POST /api/sse/chat` on the kit',
  'kit-ws': '`chat` frames on `/ws/chat`, one socket per user',
  'bare-sse': 'node:http writing `formatSseEvent` for each token as the provider yields it',
  'bare-ws': '`ws` sending the event JSON for each token as the provider yields it',
  'ai-sdk': '`createUIMessageStream` + `pipeUIMessageStreamToResponse` (ai), a `text-delta` chunk per token',
  'socket.io': 'Socket.IO server (WebSocket transport only), a `token` event per token',
};

/** How the figures were made: targets, processes, workload, the bench server, clients and metrics. */
export function methodSection(results: BenchResults, present: readonly TargetId[]): string[] {
  const { machine } = results;
  const servers = results.quick
    ? 'one server process per target for the whole run'
    : 'a fresh server process per target at the first and at the largest concurrency of each profile, and for each ramp';
  return [
    '## Method',
    '',
    table(
      ['target', 'role', 'what runs'],
      TARGETS.filter((target) => present.includes(target.id)).map((target) => [
        target.label,
        target.role,
        DESCRIPTIONS[target.id],
      ]),
      ['l', 'l', 'l'],
    ),
    '',
    `- **Processes.** \`npm run bench\` starts a load generator (bench/src/load-entry.ts) and ${servers} (bench/src/server-entry.ts), each warmed up with zero-delay chats before anything is measured. The in-process provider runs in the load generator. A scenario runs a fixed number of chats with c users, each starting its next chat when its last one ends.`,
    `- **Same tokens everywhere.** Every target streams the deterministic simulated model (\`createSimulatedProvider\`) on the same eight prompts, each answer cut to ${results.settings.answerTokens} tokens with \`max_tokens\`. Profiles: \`sim/instant\` (no delay), \`sim/gpt-oss-20b\` (~1,000 tokens/s, first token after 200–300 ms) and \`sim/gpt-oss-120b\` (~500 tokens/s, 300–450 ms), in bursts every 15 ms ± 30%.`,
    "- **The bench server.** The reference server (examples/koa-server) cannot report its own CPU time, so the bench builds the same app from `@chatwire/server-kit`'s public exports (`createChatKit` + Koa, simulated provider, `metrics: true`, the same HTTP timeouts) in bench/src/servers/kit.ts, and adds a bench-only IPC channel (`process.send`) through which the orchestrator reads `process.cpuUsage()`, RSS and the socket counters. Differences from the reference server: run limits raised to 100,000 (one loopback address is one principal), ended runs kept 15 s instead of 10 min, a 2 s disconnect grace, and no per-request or per-run info logging.",
    '- **Clients.** undici (a keep-alive pool sized to the concurrency) with eventsource-parser for SSE and the AI SDK stream, `ws` for WebSocket, `socket.io-client` for Socket.IO, and the client SDK\'s own long poll (`createChatClient().chat({ mode: "polling" })`, 20 s waits) for polling. Token events are timestamped when their bytes are read.',
    "- **Metrics.** TTFT and total time per chat (p50/p95/p99, nearest rank); gaps are pauses of 1 ms or more between token deliveries (tokens closer together arrived as one burst); HTTP requests (WebSocket upgrades included) and bytes counted on the server's sockets; server CPU from `process.cpuUsage()` in the server; RSS sampled every 50 ms. A ramp step that fails while other processes take more than half a core is run again, up to three attempts; every attempt is listed.",
    '- **Reproduce.** `npm run bench` (full, under half an hour; `--no-adapters` skips the adapter comparison, `--adapters-only` runs only it), `npm run bench -- --quick` (a minute or two, written to bench/results/tmp/), then `npm run bench:report`; the flags are in bench/README.md. With `GROQ_API_KEY` set, a small run against real Groq is added and reported apart.',
    `- **Libraries.** ${Object.entries(machine.libraries)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}. Open files limit: ${machine.openFilesLimit}.`,
    '',
  ];
}
