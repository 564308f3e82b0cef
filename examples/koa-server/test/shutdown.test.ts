/**
 * SIGTERM with streams open in every mode, at every phase of their runs: each one gets every event of its run through
 * the terminal event (`done`, or `interrupted` for runs still going at the deadline) before its connection closes,
 * and only then does the process exit 0. Repeated, because the race this guards against is a matter of timing.
 */
import { isTerminalEvent, type RunEvent, type RunSnapshot, type ServerFrame } from '@chatwire/protocol';
import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.js';

const MODEL = 'sim/gpt-oss-20b';
const REPEATS = 6;

/** What one client saw of one run. */
interface Delivery {
  label: string;
  events: RunEvent[];
  /** `clean` when the response (or socket) ended normally, else what went wrong. */
  ending: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const body = (index: number) => JSON.stringify({ message: `Explain topic ${index} in detail.`, model: MODEL });

/**
 * One HTTP client's delivery: `read` fills it (and calls `started` at the run's first event); `started` resolves then,
 * `finished` when the client is done, with how its connection ended.
 */
function tracked(label: string, read: (delivery: Delivery, started: () => void) => Promise<void>) {
  const delivery: Delivery = { label, events: [], ending: 'open' };
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const finished = (async () => {
    try {
      await read(delivery, markStarted);
      delivery.ending = 'clean';
    } catch (error) {
      delivery.ending = `error: ${String((error as Error).cause ?? error)}`;
    }
    markStarted();
    return delivery;
  })();
  return { started, finished };
}

const postChat = (server: SpawnedServer, path: string, index: number) =>
  fetch(`${server.url}${path}`, { method: 'POST', body: body(index), headers: { 'content-type': 'application/json' } });

/** An SSE chat read to the end of its stream. */
function sseChat(server: SpawnedServer, index: number) {
  return tracked(`sse ${index}`, async (delivery, started) => {
    const response = await postChat(server, '/api/sse/chat', index);
    if (!response.ok) throw new Error(`status ${response.status}`);
    const parser = createParser({
      onEvent: (message) => {
        delivery.events.push(JSON.parse(message.data) as RunEvent);
        started();
      },
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) parser.feed(read.value);
  });
}

/** `count` chats on one WebSocket; `started` when each has its `start`, the deliveries when the socket closes. */
function wsChats(server: SpawnedServer, first: number, count: number) {
  const deliveries = new Map<string, Delivery>();
  const byRequest = new Map<string, Delivery>();
  const socket = new WebSocket(server.wsUrl);
  let pending = count;
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  socket.on('open', async () => {
    for (let index = first; index < first + count; index++) {
      const delivery: Delivery = { label: `ws ${index}`, events: [], ending: 'open' };
      byRequest.set(`r${index}`, delivery);
      socket.send(JSON.stringify({ type: 'chat', request_id: `r${index}`, ...JSON.parse(body(index)) }));
      await sleep(35);
    }
  });
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as ServerFrame;
    if (frame.type === 'pong') return;
    if (frame.type === 'start' && frame.request_id !== undefined) {
      deliveries.set(frame.id, byRequest.get(frame.request_id) as Delivery);
      if (--pending === 0) markStarted();
    }
    const delivery = 'id' in frame && frame.id !== undefined ? deliveries.get(frame.id) : undefined;
    if (delivery) delivery.events.push(frame as RunEvent);
    else byRequest.get((frame as { request_id?: string }).request_id ?? '')?.events.push(frame as RunEvent);
  });
  const finished = new Promise<Delivery[]>((resolve) => {
    let failure: string | undefined;
    socket.on('error', (error) => (failure = String(error)));
    socket.on('close', (code) => {
      for (const delivery of byRequest.values())
        delivery.ending = failure ?? (code === 1001 ? 'clean' : `close ${code}`);
      markStarted();
      resolve([...byRequest.values()]);
    });
  });
  return { started, finished };
}

/** A polling client as the SDK is one: create, then long polls with `after` until the run ends. */
function pollingChat(server: SpawnedServer, index: number) {
  return tracked(`polling ${index}`, async (delivery, started) => {
    const { task_id } = (await (await postChat(server, '/api/async/chat', index)).json()) as { task_id: string };
    let after = -1;
    for (;;) {
      const response = await fetch(`${server.url}/api/async/status/${task_id}?after=${after}&wait=10`);
      const snapshot = (await response.json()) as RunSnapshot;
      delivery.events.push(...(snapshot.events ?? []));
      after = snapshot.events?.at(-1)?.seq ?? after;
      if (after >= 0) started();
      if (snapshot.events?.some(isTerminalEvent)) return;
    }
  });
}

/** Contiguous seqs from 0, exactly one terminal event, last; `interrupted` is the only error accepted. */
function problemsOf(delivery: Delivery): string[] {
  const problems: string[] = [];
  if (delivery.ending !== 'clean') problems.push(`ended with ${delivery.ending}`);
  delivery.events.forEach((event, position) => {
    if (event.seq !== position) problems.push(`seq ${event.seq} at position ${position}`);
  });
  const last = delivery.events.at(-1);
  if (!last || !isTerminalEvent(last)) problems.push(`no terminal event after seq ${last?.seq ?? 'none'}`);
  else if (last.type === 'error' && last.code !== 'interrupted') problems.push(`error ${last.code}`);
  if (delivery.events.filter(isTerminalEvent).length > 1) problems.push('more than one terminal event');
  return problems.map((problem) => `${delivery.label}: ${problem}`);
}

describe('SIGTERM drains every open stream before the process exits', () => {
  it.each(Array.from({ length: REPEATS }, (_, repeat) => [repeat, repeat % 2 === 0 ? 0 : 3000]))(
    'round %i (deadline %i ms): SSE, WS and held long polls at every phase get their runs to the end',
    async (_repeat, deadline) => {
      const server = await spawnServer({
        DEFAULT_MODEL: MODEL,
        CHATWIRE_SHUTDOWN_DEADLINE_MS: String(deadline),
        CHATWIRE_RUNS_PER_MINUTE: '100000',
        CHATWIRE_MAX_RUNS_PER_PRINCIPAL: '1000',
      });
      const clients: Array<{ started: Promise<void>; finished: Promise<Delivery | Delivery[]> }> = [];
      // Staggered over about the length of one answer, so at the signal some runs are finishing, some are mid-answer
      // and the last ones have just started.
      for (let index = 0; index < 12; index++) {
        clients.push(sseChat(server, index));
        if (index % 3 === 0) clients.push(pollingChat(server, 100 + index));
        await sleep(40);
      }
      clients.push(wsChats(server, 200, 6));
      clients.push(sseChat(server, 300));
      await Promise.all(clients.map((client) => client.started));
      server.child.kill('SIGTERM');
      const deliveries = (await Promise.all(clients.map((client) => client.finished))).flat();
      expect(await server.exited).toBe(0);
      expect(deliveries.length).toBe(12 + 4 + 6 + 1);
      expect(deliveries.flatMap(problemsOf)).toEqual([]);
      const outcomes = new Set(deliveries.map((delivery) => delivery.events.at(-1)?.type));
      // Deadline 0 interrupts what was still running; a long deadline lets every run finish.
      if (deadline > 0) expect(outcomes).toEqual(new Set(['done']));
      else expect(outcomes).toContain('error');
    },
    30_000,
  );
});
