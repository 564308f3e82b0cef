import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mode } from '@chatwire/protocol';
import type { RampResult } from '../results.js';
import type { TargetId } from '../targets.js';
import { bytes, ms, num, table } from './format.js';
import { maxStreams } from './ramp-tables.js';
import type { ResultsIndex } from './metrics.js';

/** A row of the table: one of the protocol's modes, or the client's `auto`, which picks one of them. */
type RowMode = Mode | 'auto';

/** The files that make up each mode, server side and client side, to count their lines. */
const MODE_FILES: Record<RowMode, { server: string[]; client: string[] }> = {
  sync: { server: ['packages/server-kit/src/modes/sync.ts'], client: ['packages/client-sdk/src/transports/sync.ts'] },
  polling: {
    server: ['packages/server-kit/src/modes/polling.ts'],
    client: ['packages/client-sdk/src/transports/polling.ts'],
  },
  sse: {
    server: ['packages/server-kit/src/modes/sse.ts', 'packages/server-kit/src/http/sse-writer.ts'],
    client: ['packages/client-sdk/src/transports/sse.ts'],
  },
  ws: {
    server: [
      'packages/server-kit/src/modes/ws.ts',
      'packages/server-kit/src/modes/ws-session.ts',
      'packages/server-kit/src/modes/ws-handshake.ts',
    ],
    client: [
      'packages/client-sdk/src/transports/ws.ts',
      'packages/client-sdk/src/socket-connection.ts',
      'packages/client-sdk/src/web-socket.ts',
    ],
  },
  // Auto mode has no route of its own: the server serves it through the other modes' routes.
  auto: {
    server: [],
    client: ['packages/client-sdk/src/transports/auto.ts', 'packages/client-sdk/src/mode-memory.ts'],
  },
};

/** Lines of code (not blank, not comment-only) of a mode's files, server and client, as they are now. */
function linesOf(root: string, files: string[]): number {
  let lines = 0;
  for (const file of files) {
    try {
      for (const line of readFileSync(join(root, file), 'utf8').split('\n')) {
        const text = line.trim();
        if (text !== '' && !text.startsWith('//') && !text.startsWith('*') && !text.startsWith('/*')) lines++;
      }
    } catch {
      // a file that moved: counted as absent
    }
  }
  return lines;
}

/** The qualitative comparison, each claim next to the figure of this run that backs it. */
export function choosingAMode(index: ResultsIndex, ramps: RampResult[], root: string): string {
  const model = index.models.includes('sim/gpt-oss-20b') ? 'sim/gpt-oss-20b' : (index.models.at(-1) ?? 'sim/instant');
  const levels = index.concurrencies(model);
  const level = levels.includes(10) ? 10 : (levels[0] ?? 1);
  const at = (target: TargetId) => index.get(target, model, level);
  const direct = at('direct');
  const ramp = (target: TargetId) => {
    const found = ramps.find((item) => item.target === target);
    return found ? maxStreams(found) : 'not measured';
  };
  const lines = (mode: RowMode) =>
    `${linesOf(root, MODE_FILES[mode].server)} + ${linesOf(root, MODE_FILES[mode].client)}`;
  const single = index.get('kit-ws', model, 1);

  const rows: string[][] = [
    [
      'sync',
      'request → one response; nothing until the answer is complete',
      'none: a dropped connection cancels the run; a retry with the same `Idempotency-Key` re-attaches to it',
      'a read timeout longer than the longest answer (nginx: 60 s by default)',
      'any HTTP client',
      'a new request per turn, carrying the history',
      lines('sync'),
      'scripts, server-to-server calls, short answers, clients that cannot stream',
    ],
    [
      'polling',
      'client pulls; the server answers each poll with the events after `after`',
      'nothing to reconnect: every poll is a resume from its `after` seq; a failed poll is retried',
      'none beyond defaults (each long poll holds ≤ 30 s)',
      'any HTTP client',
      'a new task per turn',
      lines('polling'),
      'networks or platforms that break streaming (buffering proxies, serverless without streaming), background jobs',
    ],
    [
      'sse',
      'one POST, then server → client only; cancel is a separate request',
      '`GET /api/sse/chat/:id` with `Last-Event-ID` replays exactly what was missed (the SDK does it; `EventSource` only for GET)',
      '`proxy_buffering off` (the kit also sends `X-Accel-Buffering: no`), no gzip on `text/event-stream`; 15 s heartbeats beat a 60 s read timeout',
      'every browser through `fetch` streaming; `EventSource` cannot POST nor set headers; ≤ 6 streams per origin on HTTP/1.1',
      'a new stream per turn',
      lines('sse'),
      'the default for chat UIs: streaming over plain HTTP infrastructure',
    ],
    [
      'ws',
      'both ways on one socket: chat, cancel, resume, ping; many runs interleaved',
      'reconnect the socket, then a `resume` frame with `after`; runs survive a drop for the 30 s grace period',
      '`Upgrade`/`Connection` headers passed through, long read timeout; some corporate proxies still block it',
      'every browser; no custom headers on the handshake (subprotocol or ticket auth)',
      'the same socket for every turn: no new request',
      lines('ws'),
      'interactive apps: cancel or steer mid-answer, many concurrent runs per client, long sessions',
    ],
    [
      'auto (client)',
      'whichever works on this network: ws, else sse, else polling (never sync)',
      "each transport's own; a transport that fails or is held mid-answer hands the run to the next from the last seq: same run, no token lost or repeated",
      'none: gets through proxies that refuse upgrades or hold event streams (held = no event within 2 s while the run moves on)',
      'every browser; what worked is kept per server in `sessionStorage` and re-tried after 5 min',
      'as the transport in use',
      lines('auto'),
      "the SDK's choice when the network is not yours (public web apps, corporate users); name a mode to pin it",
    ],
  ];
  const header = [
    'mode',
    'direction',
    'reconnection',
    'proxy needs',
    'browser support',
    'multi-turn',
    'lines (server + client)',
    'when to use',
  ];

  const evidence = [
    `**Time to first token.** With \`${model}\` at c=${level} the first token reached the client after ${ms(at('kit-sse')?.ttftP50)} ms over SSE, ${ms(at('kit-ws')?.ttftP50)} ms over WS and ${ms(at('kit-polling')?.ttftP50)} ms by long polling, against ${ms(direct?.ttftP50)} ms for the model itself in process; sync shows nothing until the whole answer, ${ms(at('kit-sync')?.ttftP50)} ms (p50).`,
    `**Requests.** Polling made ${num(at('kit-polling')?.requestsPerChat, 1)} HTTP requests per chat (one create plus a long poll per batch of tokens, each batch gathered for up to the server's linger window); sync and SSE one; WS ${num(at('kit-ws')?.requestsPerChat, 2)} at c=${level} and ${num(single?.requestsPerChat, 3)} at c=1, because one upgrade serves every later chat on the socket.`,
    `**Bytes.** A ${index.results.settings.answerTokens}-token answer cost ${bytes(at('kit-sync')?.bytesPerChat)} in sync, ${bytes(at('kit-polling')?.bytesPerChat)} by polling, ${bytes(at('kit-sse')?.bytesPerChat)} over SSE and ${bytes(at('kit-ws')?.bytesPerChat)} over WS, headers included (the AI SDK's UI stream: ${bytes(at('ai-sdk')?.bytesPerChat)}; Socket.IO: ${bytes(at('socket.io')?.bytesPerChat)}). Polling pays its request headers on every poll; its answers carry only the new events (no \`partial\` once the poller names its \`after\`), and the server's linger window gathers a poll's tokens; SSE's events each carry \`id\` and \`event\` lines besides the same JSON. Sync is the smallest: only the final text, once.`,
    `**Concurrent streams.** Held within the gap threshold without errors: polling ${ramp('kit-polling')}, SSE ${ramp('kit-sse')}, WS ${ramp('kit-ws')} (bare SSE ${ramp('bare-sse')}, bare ws ${ramp('bare-ws')}, AI SDK ${ramp('ai-sdk')}, Socket.IO ${ramp('socket.io')}).`,
    `**Complexity.** Lines of code (without comments) of each mode in the kit and the SDK, counted when this page was rendered: sync ${lines('sync')}, polling ${lines('polling')}, SSE ${lines('sse')}, WS ${lines('ws')}. WS is the largest: its own handshake authentication, keep-alive and a socket shared by many runs.`,
    "**Reconnection** and **proxy** behaviour are the protocol's and nginx/nginx.conf's (see docs/PROTOCOL.md); this bench does not cut connections, so it puts no figure on them.",
    `**Auto mode** costs nothing where WebSockets work: it is WS, at WS's figures above. Elsewhere it pays for finding out, with the defaults: a refused upgrade costs one extra request (the failed handshake) before SSE starts; an upgrade that hangs costs up to 3 s (\`webSocketConnectTimeoutMs\`); a held event stream costs 2 s (\`bufferingTimeoutMs\`) and, besides the held request, up to two more (the run found by its idempotency key when no event gave its id, then its snapshot) before polling goes on from the last seq, at polling's requests and bytes; a socket lost mid-answer waits up to 3 s to reopen before SSE resumes it. Each fallback is remembered per server for 5 min (\`reprobeAfterMs\`), so the next chats start on what worked and pay nothing. What it saves: the answer, on networks where a fixed mode streams nothing (WS refused), everything at the end (SSE held) or breaks off (socket lost), with no configuration, no second run and no token lost or repeated. Not measured by this bench; the intermediary tests (\`examples/svelte-web/test/auto-nginx.test.ts\`, \`packages/client-sdk/test/auto-gateway.test.ts\`) bound its first token at 4 s through nginx refusing WebSockets, holding event streams, or both, and through a gateway holding whole responses.`,
  ];
  return [
    table(header, rows, ['l', 'l', 'l', 'l', 'l', 'l', 'r', 'l']),
    '',
    ...evidence.map((line) => `- ${line}`),
  ].join('\n');
}
