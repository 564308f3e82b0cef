import type { Socket } from 'node:net';
import type { ChatMessage } from '@chatwire/protocol';
import { createSimulatedProvider, type ProviderRequest } from '@chatwire/server-kit';
import { expect, it } from 'vitest';
import { createChatClient, isChatError, type ChatClient, type ChatMode } from '../src/index.js';
import { planChats, runChat, type ChatOutcome } from './helpers/chaos-chats.js';
import { startChaosProxy, type ChaosProxy, type RequestKind } from './helpers/chaos-proxy.js';
import { chaosSeed, createChaosRandom } from './helpers/chaos-random.js';
import { activeResources, trackTimers, type TimerTracker } from './helpers/chaos-resources.js';
import { waitUntil } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/start-server.js';

/*
 * Issue 5: a few hundred concurrent chats in the four modes and `auto` (issue 14: it switches transports when one is
 * cut or stalls, mid-answer too) while a proxy cuts connections at random points and stalls readers, and the test
 * cancels some runs. Every chat that was not cancelled must end with exactly the text the
 * provider produced, nothing duplicated, and afterwards no run, stream, socket or timer may be left.
 *
 * Replay a failure with CHAOS_SEED=<the seed in the test name>. The schedule comes from the seed; which connection a
 * fault lands on also depends on timing, so a replay is close, not exact.
 */
const SEED = chaosSeed(20_250_605);
const MODES = ['sync', 'polling', 'sse', 'ws', 'auto'] as const satisfies readonly ChatMode[];
const CLIENTS = 6;
const MODEL = 'sim/chaos';
/**
 * Not instant, so that every run is under way while the faults come: about 250-500 tokens at 50 tokens/s, i.e. all
 * 300 runs streaming at once for several seconds. Faster runs would not be more concurrent, only an overload of the
 * one thread that hosts the server, the proxy and the clients (there, latency grows to seconds and proves nothing).
 */
const PROFILE = { tokensPerSecond: 50, firstTokenMs: { min: 50, max: 400 }, burstIntervalMs: 200 };
const TOPICS = [
  'TCP congestion control',
  'server-sent events',
  'WebSocket framing',
  'HTTP/2 multiplexing',
  'long polling',
];
const QUESTIONS = TOPICS.flatMap((topic) => [
  `What is ${topic}?`,
  `Why does ${topic} matter?`,
  `Explain ${topic} in detail.`,
]);

it(`delivers every chat exactly through cuts, stalls and cancels, and leaves nothing behind (seed ${SEED})`, async ({
  onTestFailed,
}) => {
  onTestFailed(() => console.error(`chaos test failed with seed ${SEED}; replay it with CHAOS_SEED=${SEED}`));
  // Taken before anything of ours exists, so vitest's own handles are in the baseline and nothing else is.
  const baseline = activeResources();
  const timers = trackTimers((stack) => /\/packages\/(client-sdk|server-kit|protocol)\//.test(stack));
  try {
    await chaos(baseline, timers);
  } finally {
    timers.restore();
  }
}, 60_000);

async function chaos(baseline: Record<string, number>, timers: TimerTracker): Promise<void> {
  const random = createChaosRandom(SEED);
  const plans = planChats(random, {
    modes: MODES,
    perMode: 60,
    clients: CLIENTS,
    cancelledShare: 0.1,
    startSpreadMs: 1000,
    questions: QUESTIONS,
    keyPrefix: `chaos-${SEED}`,
  });

  // Runs the provider was asked for, by prompt (each chat's is unique), leaving out the test's own calls.
  const ownCalls = new WeakSet<ProviderRequest>();
  const runsByPrompt = new Map<string, number>();
  const provider = createSimulatedProvider({
    defaultModel: MODEL,
    profiles: { [MODEL]: PROFILE },
    onStream(request) {
      if (ownCalls.has(request)) return;
      const prompt = promptOf(request.messages);
      runsByPrompt.set(prompt, (runsByPrompt.get(prompt) ?? 0) + 1);
    },
  });
  // The answers, straight from the same provider (deterministic for a model and messages), computed meanwhile.
  const answers = Promise.all(
    plans.map(async (plan) => {
      const request: ProviderRequest = { model: MODEL, messages: plan.messages };
      ownCalls.add(request);
      let text = '';
      for await (const chunk of provider.stream(request, new AbortController().signal)) {
        if (chunk.type === 'token') text += chunk.text;
      }
      return text;
    }),
  );

  const unlimited = 1_000_000;
  const server = await startServer({
    provider,
    runLimits: { maxConcurrentRuns: unlimited, maxConcurrentRunsPerPrincipal: unlimited, runsPerMinute: unlimited },
    // A stalled socket backs the server up after 8 KiB (WS; an SSE response after Node's 16 KiB), so that it merges
    // tokens; stalls last up to 1.5 s, and a reader backed up for 1 s is dropped by the server, to be resumed.
    highWaterBytes: 8 * 1024,
    slowReaderTimeoutMs: 1000,
  });
  const proxy = await startChaosProxy(server.port, {
    random,
    // Handshakes are few (one per socket opening), so they are cut more often: a client's first opening too.
    cutOnRequest: (request) => (request.kind === 'ws' ? 0.2 : 0.03),
    cutOnResponse: 0.08,
    cutResponseMaxBytes: 6000,
    tickMs: 20,
    cutPerTick: 0.5,
    stallPerTick: 0.4,
    // In the run's tail, with fewer than 20 connections left, each of them keeps about the rate it had in the crowd.
    crowd: 20,
    stallMs: { min: 100, max: 1500 },
    // A lost cancel request leaves its run going, as the SDK documents; the test's cancels are not what is on trial.
    spare: (request) => request.kind === 'cancel' || request.kind === 'other',
    onStall: holdServerSide(server),
  });
  // One request per connection, so the proxy knows which chat each connection it cuts belongs to (a pooled keep-alive
  // connection carries several). The WebSocket handshake is no fetch and keeps its headers.
  const fetchOneShot: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('connection', 'close');
    return fetch(input, { ...init, headers });
  };
  // Several clients, each with its own WebSocket shared by its ws chats.
  const clients: ChatClient[] = Array.from({ length: CLIENTS }, () =>
    createChatClient({
      baseUrl: proxy.url,
      fetch: fetchOneShot,
      retry: { attempts: 8, initialDelayMs: 20, maxDelayMs: 250 },
      // How a cancel ends is the server's to say, not a clock's: on a loaded machine a confirmation can take seconds.
      cancelTimeoutMs: 30_000,
      // Auto mode gives up on a stalled or reconnecting transport after 1 s rather than 2-3 s, like the fast retries
      // above: more of its chats switch mid-answer (stalls last up to 1.5 s), and fewer trail behind the rest.
      webSocketConnectTimeoutMs: 1000,
      bufferingTimeoutMs: 1000,
    }),
  );
  let closed = false;
  const closeAll = async () => {
    if (closed) return;
    closed = true;
    for (const client of clients) client.close();
    await proxy.close();
    await server.close();
  };

  try {
    let maxBufferedBytes = 0;
    const sampler = setInterval(
      () => (maxBufferedBytes = Math.max(maxBufferedBytes, server.kit.stats().bufferedBytes)),
      10,
    );
    proxy.start();
    const outcomes = await Promise.all(plans.map((plan) => runChat(plan, clients[plan.client] as ChatClient, MODEL)));
    proxy.stop();
    clearInterval(sampler);
    const expected = await answers;

    const verdicts = await Promise.all(
      outcomes.map((outcome) =>
        judge(outcome, expected[outcome.plan.index] as string, { server, proxy, runsByPrompt }),
      ),
    );
    const problems = verdicts.flatMap((verdict) => verdict.problems);
    const count = (kind: Verdict['kind']) => verdicts.filter((verdict) => verdict.kind === kind).length;
    const reconnects = outcomes.reduce((sum, outcome) => sum + outcome.reconnects, 0);
    const cutsByKind = tally(proxy.cuts.map((cut) => cut.request.kind));
    const stalls = Object.values(proxy.stalls).reduce((sum, stalled) => sum + stalled, 0);
    const fallbacks = tally(outcomes.flatMap((outcome) => outcome.fallbacks.map((fallback) => fallback.reason)));
    const merged = outcomes.reduce(
      (sum, { events }) =>
        sum + events.filter((event, index) => index > 0 && event.seq > (events[index - 1]?.seq ?? 0) + 1).length,
      0,
    );
    console.log(
      `chaos seed ${SEED}: ${plans.length} chats, ${proxy.connections} connections, ${proxy.cuts.length} cuts ${JSON.stringify(cutsByKind)}, ` +
        `${stalls} stalls, ${reconnects} reconnects, ${merged} merged token events, server backlog up to ${maxBufferedBytes} B, ` +
        `auto fallbacks ${JSON.stringify(fallbacks)}; ` +
        `completed ${count('completed')}, cancelled ${count('cancelled')}, finished before their cancel ${count('finished before cancel')}, ` +
        `sync failed by a cut ${count('sync cut')}`,
    );

    expect(problems, `seed ${SEED}`).toEqual([]);
    // The chaos did happen, so a client that could not resume would have been caught.
    expect(reconnects).toBeGreaterThan(0);
    for (const kinds of [
      ['sync'],
      ['polling-create', 'poll'],
      ['sse-create', 'sse-resume'],
      ['ws'],
    ] as RequestKind[][]) {
      expect(
        kinds.reduce((sum, kind) => sum + (cutsByKind[kind] ?? 0), 0),
        `cuts of ${kinds.join(', ')}`,
      ).toBeGreaterThan(0);
    }
    expect(stalls).toBeGreaterThan(0);
    // The chaos reached auto chats too (switches, or recoveries within a transport), so a fault they mishandled shows.
    const shaken = outcomes.filter(
      (outcome) => outcome.plan.mode === 'auto' && (outcome.fallbacks.length > 0 || outcome.reconnects > 0),
    );
    expect(shaken.length, 'auto chats that switched transports or reconnected').toBeGreaterThan(0);
    expect(maxBufferedBytes, 'stalled readers backed the server up').toBeGreaterThan(0);
    expect(count('cancelled')).toBeGreaterThan(0);

    // Nothing left behind: no run, stream, proxied connection, socket, server or timer.
    for (const client of clients) client.close();
    const idle = () => {
      const stats = server.kit.stats();
      return stats.activeRuns === 0 && stats.streams.sse === 0 && stats.streams.ws === 0 && proxy.open === 0;
    };
    await waitUntil(idle, 10_000).catch(() => {});
    expect(server.kit.stats()).toEqual({ activeRuns: 0, streams: { sse: 0, ws: 0 }, bufferedBytes: 0 });
    expect(proxy.open).toBe(0);
    await closeAll();
    // Each type back to at most its baseline count (vitest's own handles may come and go meanwhile).
    const aboveBaseline = () =>
      Object.entries(activeResources()).filter(([type, open]) => open > (baseline[type] ?? 0));
    await waitUntil(() => aboveBaseline().length === 0, 5000).catch(() => {});
    expect(aboveBaseline(), `open handles over the baseline ${JSON.stringify(baseline)}`).toEqual([]);
    expect(timers.pending(), 'timers still pending, by where they were created').toEqual([]);
  } finally {
    await closeAll();
  }
}

interface Verdict {
  kind: 'completed' | 'cancelled' | 'finished before cancel' | 'sync cut' | 'failed';
  problems: string[];
}

/** What one chat's outcome must satisfy, whatever the chaos did to it. */
async function judge(
  outcome: ChatOutcome,
  expected: string,
  context: { server: TestServer; proxy: ChaosProxy; runsByPrompt: ReadonlyMap<string, number> },
): Promise<Verdict> {
  const { plan, events, error } = outcome;
  const problems: string[] = [];
  const say = (problem: string) =>
    problems.push(`chat ${plan.index} (${plan.mode}${plan.cancel ? ', cancelled' : ''}): ${problem}`);
  const runs = context.runsByPrompt.get(promptOf(plan.messages)) ?? 0;
  const text = events.map((event) => (event.type === 'token' ? event.text : '')).join('');

  // Whatever the outcome: at most one run per chat (a re-sent creation attached to it), and the events seen are that
  // run's, from its start, each once, in order. A merged token may skip seqs; nothing may repeat one.
  if (runs > 1) say(`the provider ran it ${runs} times`);
  if (events.some((event, index) => index > 0 && event.seq <= (events[index - 1]?.seq ?? 0))) {
    say(`seqs not strictly increasing: ${events.map((event) => event.seq).join(',')}`);
  }
  if (events.length > 0 && (events[0]?.type !== 'start' || events[0].seq !== 0)) say('the first event is not start 0');
  if (new Set(events.map((event) => event.id)).size > 1) say('events of more than one run');
  if (!expected.startsWith(text)) say('the text received is not a prefix of the answer');

  const code = isChatError(error) ? error.code : undefined;
  if (error === undefined) {
    if (text !== expected || outcome.text !== expected) say('its text is not exactly the answer');
    if (events.at(-1)?.type !== 'done') say('it did not end with done');
    if (!plan.cancel) return { kind: 'completed', problems };
    // The run ended before the cancel reached it; cancel() then resolves with the run complete (README).
    const status = outcome.runId === undefined ? 'unknown' : await runStatus(context.server.url, outcome.runId);
    if (status !== 'completed') say(`it completed, but the server's run is ${status}`);
    return { kind: 'finished before cancel', problems };
  }
  if (plan.cancel && code === 'cancelled') {
    // A sync chat learns its run id from its answer only, so a cancelled one has no run to look up.
    if (outcome.runId !== undefined) {
      const status = await runStatus(context.server.url, outcome.runId);
      if (status !== 'cancelled') say(`it was cancelled, but the server's run is ${status}`);
    }
    return { kind: 'cancelled', problems };
  }
  // Sync cannot resume: a request whose connection the proxy cut fails with `network`, and no other may fail.
  const cutSync = context.proxy.cuts.some(
    (cut) => cut.request.kind === 'sync' && cut.request.idempotencyKey === plan.idempotencyKey,
  );
  if (plan.mode === 'sync' && code === 'network' && cutSync) return { kind: 'sync cut', problems };
  const cause = (error as { cause?: unknown } | null)?.cause;
  say(`failed: ${String(error)}${cause === undefined ? '' : ` (cause: ${String(cause)})`}`);
  return { kind: 'failed', problems };
}

/** A stall holds the server's side of the connection too, via `cork()`, so its writes pile up in Node at once. */
function holdServerSide(server: TestServer): (port: number) => () => void {
  const sockets = new Map<number, Socket>();
  server.http.on('connection', (socket: Socket) => {
    const port = socket.remotePort ?? 0;
    sockets.set(port, socket);
    socket.once('close', () => sockets.delete(port));
  });
  return (port) => {
    const socket = sockets.get(port);
    socket?.cork();
    return () => {
      if (socket && !socket.destroyed) socket.uncork();
    };
  };
}

async function runStatus(baseUrl: string, runId: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/runs/${runId}`, { headers: { connection: 'close' } });
  return ((await response.json()) as { status: string }).status;
}

function promptOf(messages: readonly ChatMessage[]): string {
  return messages.at(-1)?.content ?? '';
}

function tally<T extends string>(items: readonly T[]): Partial<Record<T, number>> {
  const counts: Partial<Record<T, number>> = {};
  for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
}
