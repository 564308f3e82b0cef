import { isMode, isRunIdShape, MODES, type ChatRequest, type ModelsResponse } from '@chatwire/protocol';
import { cancelRun } from './cancel-run.js';
import { ChatError } from './chat-error.js';
import { createChatStream, type ChatStream } from './chat-stream.js';
import { createHttpClient } from './http-client.js';
import { resolveRetryPolicy, type RetryOptions } from './retry.js';
import type { Connection } from './connection.js';
import { createSocketConnection } from './socket-connection.js';
import type { ChatMode, Transport } from './transport.js';
import { createModeMemory, type ModeStorage } from './mode-memory.js';
import { createAutoTransport } from './transports/auto.js';
import { createPollingTransport } from './transports/polling.js';
import { createSseTransport } from './transports/sse.js';
import { createSyncTransport } from './transports/sync.js';
import { createWebSocketTransport } from './transports/ws.js';
import { createWebSocketHandshake } from './web-socket-handshake.js';
import {
  canSendWebSocketHeaders,
  defaultWebSocket,
  webSocketUrlFor,
  type WebSocketAuth,
  type WebSocketConstructor,
} from './web-socket.js';

/** Options of {@link createChatClient}; only `baseUrl` is required. */
export interface ChatClientOptions {
  /** The server, e.g. `http://localhost:8000` (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` on every request; never put in a URL, an error or a log. */
  apiKey?: string;
  /**
   * How `apiKey` reaches the WebSocket: `header` (default in Node: `Authorization` on the upgrade), `ticket` (default
   * elsewhere, since browsers cannot set WebSocket headers: a short-lived ticket from `POST /api/ws/ticket` in the
   * URL) or `subprotocol` (`bearer.<key>` next to `chatwire.v1`; no extra request).
   */
  webSocketAuth?: WebSocketAuth;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  /** `fetch` implementation (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** WebSocket constructor (default: `ws` in Node, the global one in browsers). */
  WebSocket?: WebSocketConstructor;
  /** WebSocket URL (default: `baseUrl` as ws:/wss: + `/ws/chat`). */
  webSocketUrl?: string;
  /** Monotonic clock in ms for stats (default `performance.now`). */
  now?: () => number;
  /** Backoff for resuming dropped streams and retrying failed polls. */
  retry?: RetryOptions;
  /** Long-poll wait in seconds, at most the server's cap (default 20; 0 = short polling paced by `Retry-After`). */
  pollWaitSeconds?: number;
  /** An SSE stream silent this long is resumed (default 45 s; the server sends heartbeats every 15 s). */
  sseIdleTimeoutMs?: number;
  /** WebSocket keep-alive ping interval (default 25 s). */
  keepAliveMs?: number;
  /** How long the shared socket stays open with no run (default 15 s; `Infinity`: until `close()`). */
  socketIdleMs?: number;
  /** How long `cancel()` waits for the server to confirm before ending the stream anyway (default 5 s). */
  cancelTimeoutMs?: number;
  /** Auto mode: a WebSocket not open within this falls back to SSE (default 3 s). */
  webSocketConnectTimeoutMs?: number;
  /** Auto mode: an SSE response with no event within this is checked for buffering (default 2 s). */
  bufferingTimeoutMs?: number;
  /** Auto mode: how long a fallback is remembered before the better transports are tried again (default 5 min). */
  reprobeAfterMs?: number;
  /**
   * Auto mode: where what worked is remembered per server (default: `sessionStorage` in browsers, else this client's
   * memory).
   */
  modeStorage?: ModeStorage;
}

/** Options of {@link ChatClient.chat}: the protocol's request fields, plus how to deliver it. */
export interface ChatOptions extends ChatRequest {
  /**
   * How to deliver it: `auto` (WebSocket, else SSE, else polling, switching mid-answer when a transport fails or an
   * intermediary buffers it), or one of the protocol's modes.
   */
  mode: ChatMode;
  /** Aborting it cancels the chat, like {@link ChatStream.cancel}. */
  signal?: AbortSignal;
  /**
   * Sent as `Idempotency-Key` (WS: `idempotency_key`): the server answers the same run for the same key, so the client
   * may send the creation again after a network failure that hid the answer (polling, sse, ws). Without a key a run
   * that might exist is never created twice: the chat fails with `network` instead.
   */
  idempotencyKey?: string;
}

/** The modes that can follow an existing run (sync mode has no event stream), and `auto`. */
export type ResumeMode = Exclude<ChatMode, 'sync'>;

/** Options of {@link ChatClient.resume}. */
export interface ResumeOptions {
  mode: ResumeMode;
  /** Yield events with seq > `after` (default -1: the whole run). */
  after?: number;
  signal?: AbortSignal;
}

/** A client of one chatwire server. */
export interface ChatClient {
  /**
   * Starts a chat in `mode` and returns its stream at once.
   *
   * @example
   * const stream = client.chat({ mode: 'sse', message: 'Why is the sky blue?' });
   * for await (const event of stream) if (event.type === 'token') process.stdout.write(event.text);
   * console.log(stream.stats.timeToFirstTokenMs);
   */
  chat(options: ChatOptions): ChatStream;
  /** Follows run `runId` (started in any mode, by anyone), yielding exactly its events after `after`. */
  resume(runId: string, options: ResumeOptions): ChatStream;
  /** Cancels any run by id; false when it had already ended. */
  cancel(runId: string, options?: { signal?: AbortSignal }): Promise<boolean>;
  /** The models the server offers and its default. */
  models(options?: { signal?: AbortSignal }): Promise<ModelsResponse>;
  /** The shared WebSocket: its state and changes (opened lazily by the first ws chat). */
  readonly connection: Connection;
  /** Closes the shared WebSocket; ws chats still running fail with `network`. HTTP chats are not affected. */
  close(): void;
}

/**
 * Creates a client. Each mode is a transport behind one interface; `chat({ mode })` only picks it from a table.
 *
 * @example
 * const client = createChatClient({ baseUrl: 'http://localhost:8000' });
 * const text = await client.chat({ mode: 'ws', message: 'Hello' }).text();
 * client.close();
 */
export function createChatClient(options: ChatClientOptions): ChatClient {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new TypeError('baseUrl must be an absolute http(s) URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new TypeError('baseUrl must be an absolute http(s) URL');
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
  const now = options.now ?? (() => performance.now());
  const retry = resolveRetryPolicy(options.retry);
  const http = createHttpClient({
    baseUrl: options.baseUrl,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    headers,
  });
  const webSocketUrl = options.webSocketUrl ?? webSocketUrlFor(options.baseUrl);
  const connection = createSocketConnection({
    url: webSocketUrl,
    WebSocket: options.WebSocket ?? defaultWebSocket,
    handshake: createWebSocketHandshake({
      url: webSocketUrl,
      http,
      headers: { ...options.headers },
      apiKey: options.apiKey,
      auth: options.webSocketAuth ?? (canSendWebSocketHeaders() ? 'header' : 'ticket'),
    }),
    retry,
    keepAliveMs: options.keepAliveMs ?? 25_000,
    idleCloseMs: options.socketIdleMs ?? 15_000,
  });
  const streaming = {
    polling: createPollingTransport({ http, retry, waitSeconds: options.pollWaitSeconds ?? 20 }),
    sse: createSseTransport({ http, retry, idleTimeoutMs: options.sseIdleTimeoutMs ?? 45_000 }),
    ws: createWebSocketTransport({ connection, http }),
  };
  const transports: Record<ChatMode, Transport> = {
    sync: createSyncTransport({ http }),
    ...streaming,
    auto: createAutoTransport({
      transports: streaming,
      connection,
      http,
      memory: createModeMemory({
        baseUrl: options.baseUrl,
        storage: options.modeStorage,
        reprobeAfterMs: options.reprobeAfterMs ?? 5 * 60_000,
      }),
      webSocketConnectTimeoutMs: options.webSocketConnectTimeoutMs ?? 3000,
      bufferingTimeoutMs: options.bufferingTimeoutMs ?? 2000,
    }),
  };
  const cancelTimeoutMs = options.cancelTimeoutMs ?? 5000;

  function pick(mode: unknown): Transport {
    if (mode !== 'auto' && !isMode(mode)) throw new TypeError(`mode must be auto or one of ${MODES.join(', ')}`);
    return transports[mode];
  }

  return {
    connection,
    chat(chatOptions) {
      const transport = pick(chatOptions.mode);
      const request = requestOf(chatOptions);
      return createChatStream({
        transport,
        open: (context) => transport.start(request, context),
        after: -1,
        now,
        cancelTimeoutMs,
        ...(chatOptions.signal ? { signal: chatOptions.signal } : {}),
        ...(chatOptions.idempotencyKey === undefined ? {} : { idempotencyKey: chatOptions.idempotencyKey }),
      });
    },
    resume(runId, resumeOptions) {
      const transport = pick(resumeOptions.mode);
      const after = resumeOptions.after ?? -1;
      return createChatStream({
        transport,
        open: (context) => {
          if (!isRunIdShape(runId)) throw new ChatError('invalid_request', 'runId: must be a run id');
          if (!Number.isInteger(after) || after < -1)
            throw new ChatError('invalid_request', 'after: must be an integer >= -1');
          if (!transport.resume) throw new ChatError('invalid_request', `${transport.mode} mode cannot resume a run`);
          return transport.resume(runId, after, context);
        },
        runId,
        after,
        now,
        cancelTimeoutMs,
        ...(resumeOptions.signal ? { signal: resumeOptions.signal } : {}),
      });
    },
    cancel(runId, cancelOptions = {}) {
      if (!isRunIdShape(runId)) return Promise.reject(new ChatError('invalid_request', 'runId: must be a run id'));
      return cancelRun(http, runId, cancelOptions);
    },
    async models(modelOptions = {}) {
      const response = await http.send('/api/models', modelOptions);
      return http.readJson<ModelsResponse>(response);
    },
    close() {
      for (const transport of Object.values(streaming)) transport.close?.();
    },
  };
}

/** The protocol request inside chat options (mode, signal and key stay on the client). */
function requestOf(options: ChatOptions): ChatRequest {
  const request: ChatRequest = {};
  if (options.message !== undefined) request.message = options.message;
  if (options.messages !== undefined) request.messages = options.messages;
  if (options.model !== undefined) request.model = options.model;
  if (options.temperature !== undefined) request.temperature = options.temperature;
  if (options.max_tokens !== undefined) request.max_tokens = options.max_tokens;
  return request;
}
