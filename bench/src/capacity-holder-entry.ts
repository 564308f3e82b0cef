/**
 * The client process of the capacity scenario: opens slow streams against one server and holds them until told to
 * close them, noting when each last received a token, and probes the server's `GET /healthz` meanwhile. Every stream
 * asks for the same long answer (the fake Groq sends one token a second for an hour).
 *
 * Usage: node dist/capacity-holder-entry.js <server URL> <sse|ws|polling|sync|relay>
 */
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { percentile } from './capacity-figures.js';
import { serveIpc } from './ipc.js';

/** How a held stream is opened: the kit's four modes, or a bare relay (`POST` answered with Groq's own stream). */
export type HoldKind = 'sse' | 'ws' | 'polling' | 'sync' | 'relay';

interface Held {
  /** `performance.now()` of the last token received; 0 before the first. */
  lastToken: number;
  ended: boolean;
  close(): void;
}

const [url = '', kind = 'sse'] = process.argv.slice(2) as [string, HoldKind];
const target = new URL(url);
const MODEL = 'openai/gpt-oss-20b';
const messages = [{ role: 'user', content: 'Tell me a long story about a lighthouse keeper, please.' }];
// No keep-alive for held streams: each holds its own connection for its whole life, as a browser's stream does.
const streamAgent = new Agent({ keepAlive: false, maxSockets: Infinity });
// Polls reuse connections between polls, as the SDK's pool does.
const pollAgent = new Agent({ keepAlive: true, maxSockets: Infinity });
const held: Held[] = [];
let failed = 0;
const BATCH = 200;

function post(path: string, body: unknown, agent: Agent, onResponse: (response: IncomingMessage) => void) {
  const outgoing = httpRequest({ host: target.hostname, port: target.port, path, method: 'POST', agent }, onResponse);
  outgoing.setHeader('content-type', 'application/json');
  outgoing.end(JSON.stringify(body));
  return outgoing;
}

/** A stream over one HTTP response: SSE, a relay's Groq stream, or a sync request (nothing until the end). */
function openHttpStream(path: string, tokenPattern: RegExp | undefined, first: () => void): Held {
  const stream: Held = { lastToken: 0, ended: false, close: () => outgoing.destroy() };
  const end = () => {
    if (!stream.ended) failed++;
    stream.ended = true;
    first();
  };
  const outgoing = post(path, { messages, model: MODEL }, streamAgent, (response) => {
    if (response.statusCode !== 200) end();
    if (!tokenPattern) first();
    response.on('data', (chunk: Buffer) => {
      if (tokenPattern?.test(chunk.toString('latin1'))) {
        if (stream.lastToken === 0) first();
        stream.lastToken = performance.now();
      }
    });
    response.on('error', end);
    response.on('end', end);
  });
  outgoing.on('error', end);
  return stream;
}

function openWs(first: () => void): Held {
  const ws = new WebSocket(`ws://${target.host}/ws/chat`, ['chatwire.v1']);
  const stream: Held = { lastToken: 0, ended: false, close: () => ws.terminate() };
  const end = () => {
    if (!stream.ended) failed++;
    stream.ended = true;
    first();
  };
  ws.on('open', () => ws.send(JSON.stringify({ type: 'chat', request_id: 'held', messages, model: MODEL })));
  ws.on('message', (data) => {
    if (String(data).includes('"token"')) {
      if (stream.lastToken === 0) first();
      stream.lastToken = performance.now();
    }
  });
  ws.on('error', end);
  ws.on('close', end);
  return stream;
}

/** A polling chat: the create, then back-to-back long polls (`wait=30`) for the events after the last seen. */
function openPolling(first: () => void): Held {
  let current: ReturnType<typeof httpRequest> | undefined;
  const stream: Held = {
    lastToken: 0,
    ended: false,
    close: () => {
      stream.ended = true;
      current?.destroy();
    },
  };
  const end = () => {
    if (!stream.ended) failed++;
    stream.ended = true;
    first();
  };
  const read = (response: IncomingMessage, then: (body: string) => void) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (part: string) => (body += part));
    response.on('end', () => then(body));
    response.on('error', end);
  };
  const poll = (id: string, after: number) => {
    if (stream.ended) return;
    const path = `/api/async/status/${id}?after=${after}&wait=30`;
    current = httpRequest({ host: target.hostname, port: target.port, path, agent: pollAgent }, (response) => {
      if (response.statusCode !== 200) return end();
      read(response, (body) => {
        const snapshot = JSON.parse(body) as { last_seq: number; status: string };
        if (snapshot.last_seq > after && after >= 0 && body.includes('"token"')) {
          if (stream.lastToken === 0) first();
          stream.lastToken = performance.now();
        }
        if (snapshot.status === 'completed' || snapshot.status === 'failed' || snapshot.status === 'cancelled') end();
        else poll(id, snapshot.last_seq);
      });
    });
    current.on('error', end);
    current.end();
  };
  current = post('/api/async/chat', { messages, model: MODEL }, pollAgent, (response) => {
    if (response.statusCode !== 202) return end();
    read(response, (body) => poll((JSON.parse(body) as { task_id: string }).task_id, 0));
  });
  current.on('error', end);
  return stream;
}

/** Opens one stream; resolves once it delivered its first token (sync: once it is accepted), failed or ended. */
function open(): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    const first = () => {
      if (!settled) resolve();
      settled = true;
    };
    const opener: Record<HoldKind, () => Held> = {
      sse: () => openHttpStream('/api/sse/chat', /event: token/, first),
      relay: () => openHttpStream('/relay', /"content":"t/, first),
      // A sync request answers at the end: it is held once the server took it (the first token counted upstream).
      sync: () => openHttpStream('/api/sync/chat', undefined, first),
      ws: () => openWs(first),
      polling: () => openPolling(first),
    };
    held.push(opener[kind]());
    if (kind === 'sync') setTimeout(first, 2_000);
  });
}

/** GETs `/healthz` every `everyMs` for `durationMs` on one keep-alive connection, and answers the latencies. */
async function probeHealth(durationMs: number, everyMs: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  let probeFailures = 0;
  const until = performance.now() + durationMs;
  while (performance.now() < until) {
    const began = performance.now();
    const ok = await new Promise<boolean>((resolve) => {
      const outgoing = httpRequest(
        { host: target.hostname, port: target.port, path: '/healthz', agent },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode === 200));
        },
      );
      outgoing.setTimeout(10_000, () => outgoing.destroy());
      outgoing.on('error', () => resolve(false));
      outgoing.end();
    });
    if (ok) times.push(performance.now() - began);
    else probeFailures++;
    await sleep(Math.max(0, everyMs - (performance.now() - began)));
  }
  agent.destroy();
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    count: times.length,
    failed: probeFailures,
    p50Ms: round(percentile(times, 50)),
    p99Ms: round(percentile(times, 99)),
  };
}

serveIpc({
  ready: () => true,
  // In batches, each waiting for its first tokens, so the server sees waves of connects rather than thousands at once.
  open: async (payload) => {
    const { count } = payload as { count: number };
    while (held.length < count) {
      const batch: Promise<void>[] = [];
      for (let index = 0; index < BATCH && held.length < count; index++) batch.push(open());
      await Promise.race([Promise.all(batch), sleep(30_000)]);
    }
    return { held: held.filter((stream) => !stream.ended).length, failed };
  },
  status: (payload) => {
    const { aliveWindowMs } = payload as { aliveWindowMs: number };
    const now = performance.now();
    const open = held.filter((stream) => !stream.ended);
    const alive =
      kind === 'sync' ? open.length : open.filter((stream) => now - stream.lastToken <= aliveWindowMs).length;
    return { held: open.length, alive, failed };
  },
  health: (payload) => {
    const { durationMs, everyMs } = payload as { durationMs: number; everyMs: number };
    return probeHealth(durationMs, everyMs);
  },
  release: () => {
    for (const stream of held.splice(0)) {
      stream.ended = true;
      stream.close();
    }
    failed = 0;
    return true;
  },
  close: () => {
    setTimeout(() => process.exit(0), 50);
    return true;
  },
});
