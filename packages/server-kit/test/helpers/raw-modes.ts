import type { ErrorPayload, Mode, RunEvent, RunSnapshot, ServerFrame, SyncChatResponse } from '@chatwire/protocol';
import { createParser } from 'eventsource-parser';
import WebSocket from 'ws';
import type { TestServer } from './start-kit.js';

/** What one chat produced in a mode, seen at the protocol level (no client SDK). */
export type RawOutcome =
  | { ok: true; events: RunEvent[]; text: string; requests: number }
  | { ok: false; status: number; error: ErrorPayload; requests: number };

export const textOf = (events: RunEvent[]) =>
  events.map((event) => (event.type === 'token' ? event.text : '')).join('');

/** Sends `body` (an object, or raw text to test bad input) in `mode` and gathers every event until the run ends. */
export async function rawChat(
  mode: Mode,
  server: Pick<TestServer, 'url' | 'wsUrl'>,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<RawOutcome> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  switch (mode) {
    case 'sync': {
      const response = await post(`${server.url}/api/sync/chat`, text, headers);
      if (!response.ok) return failure(response, 1);
      const json = (await response.json()) as SyncChatResponse;
      // Sync has no stream: describe it the way the client SDK will, start + one token + done.
      const events: RunEvent[] = [
        { id: json.id, seq: 0, type: 'start', model: json.model, created_at: '' },
        { id: json.id, seq: 1, type: 'token', text: json.response },
        { id: json.id, seq: 2, type: 'done', finish_reason: json.finish_reason, usage: json.usage },
      ];
      return { ok: true, events, text: json.response, requests: 1 };
    }
    case 'polling': {
      const response = await post(`${server.url}/api/async/chat`, text, headers);
      if (!response.ok) return failure(response, 1);
      const { task_id } = (await response.json()) as { task_id: string };
      const events: RunEvent[] = [];
      let requests = 1;
      for (;;) {
        const after = events.at(-1)?.seq ?? -1;
        const poll = await fetch(`${server.url}/api/async/status/${task_id}?after=${after}&wait=5`, { headers });
        requests++;
        if (!poll.ok) return failure(poll, requests);
        const snapshot = (await poll.json()) as RunSnapshot;
        events.push(...(snapshot.events ?? []));
        const last = events.at(-1);
        if (last && (last.type === 'done' || last.type === 'error'))
          return { ok: true, events, text: textOf(events), requests };
      }
    }
    case 'sse': {
      const response = await post(`${server.url}/api/sse/chat`, text, headers);
      if (!response.ok) return failure(response, 1);
      const events = await readSse(response);
      return { ok: true, events, text: textOf(events), requests: 1 };
    }
    case 'ws': {
      const socket = await openSocket(server.wsUrl);
      try {
        const key = headers['Idempotency-Key'];
        socket.send(
          JSON.stringify({
            ...(typeof body === 'object' ? body : {}),
            type: 'chat',
            ...(key ? { idempotency_key: key } : {}),
          }),
        );
        const events: RunEvent[] = [];
        for (;;) {
          const frame = await nextFrame(socket);
          if (!('seq' in frame)) {
            if (frame.type === 'error') return { ok: false, status: 0, error: stripFrame(frame), requests: 0 };
            continue;
          }
          events.push(frame);
          if (frame.type === 'done' || frame.type === 'error')
            return { ok: true, events, text: textOf(events), requests: 0 };
        }
      } finally {
        socket.close();
      }
    }
  }
}

function stripFrame(frame: ErrorPayload & { type?: string; request_id?: string; id?: string }): ErrorPayload {
  const { type: _type, request_id: _request, id: _id, ...payload } = frame;
  return payload;
}

export function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
}

async function failure(response: Response, requests: number): Promise<RawOutcome> {
  const json = (await response.json()) as { error: ErrorPayload };
  return { ok: false, status: response.status, error: json.error, requests };
}

/** Reads an SSE response to its end with eventsource-parser; `onEvent` may stop early by returning true. */
export async function readSse(
  response: Response,
  onEvent?: (event: RunEvent, lastEventId: string | undefined) => boolean | void,
): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  let stop = false;
  const parser = createParser({
    onEvent(message) {
      if (stop) return;
      const event = JSON.parse(message.data) as RunEvent;
      if (message.event !== event.type || message.id !== String(event.seq))
        throw new Error(`SSE framing mismatch: ${JSON.stringify(message)}`);
      events.push(event);
      if (onEvent?.(event, message.id)) stop = true;
    },
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  while (!stop) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.feed(value);
  }
  await reader.cancel().catch(() => {});
  return events;
}

export function openSocket(url: string, options: { headers?: Record<string, string> } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: options.headers ?? {} });
    const frames: ServerFrame[] = [];
    const waiters: Array<(frame: ServerFrame) => void> = [];
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      const waiter = waiters.shift();
      if (waiter) waiter(frame);
      else frames.push(frame);
    });
    (socket as SocketWithQueue).queue = { frames, waiters };
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

type SocketWithQueue = WebSocket & { queue: { frames: ServerFrame[]; waiters: Array<(frame: ServerFrame) => void> } };

/** The next frame the server sent on a socket from {@link openSocket}. */
export function nextFrame(socket: WebSocket, timeoutMs = 10_000): Promise<ServerFrame> {
  const { queue } = socket as SocketWithQueue;
  const ready = queue.frames.shift();
  if (ready) return Promise.resolve(ready);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no frame within the timeout')), timeoutMs);
    queue.waiters.push((frame) => {
      clearTimeout(timer);
      resolve(frame);
    });
  });
}

/** The status a WS handshake to `url` gets: 101 when the socket opened (it is closed at once), else the HTTP status. */
export function handshakeStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', () => resolve(-1));
  });
}
