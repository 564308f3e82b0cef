import { isRunEventFrame, type ClientFrame, type ServerFrame } from '@chatwire/protocol';
import { ChatError, isChatError } from './chat-error.js';
import { utf8Length } from './chat-stats.js';
import type { Connection, ConnectionState } from './connection.js';
import { createKeepAlive, type KeepAlive } from './keep-alive.js';
import { retryDelay, unrefTimer, type RetryPolicy } from './retry.js';
import { createRunRouter, type RunHandle, type RunListener } from './run-router.js';
import { refusedUpgrade } from './web-socket-handshake.js';
import type { Handshake, WebSocketConstructor, WebSocketLike } from './web-socket.js';

/** Options of {@link createSocketConnection}. */
export interface SocketConnectionOptions {
  /** The endpoint, for messages (the handshake gives the URL actually opened). */
  url: string;
  WebSocket: WebSocketConstructor;
  /** What each opening takes (URL, subprotocols, Node-only headers), fetched anew for every attempt. */
  handshake: () => Promise<Handshake>;
  retry: RetryPolicy;
  /** Interval of `ping` frames; a socket that answers nothing for two intervals is dropped and reconnected. */
  keepAliveMs: number;
  /** How long an open socket with no run stays open (`Infinity`: until `close()`). */
  idleCloseMs: number;
}

/** The shared socket with the run-level operations the ws transport uses. */
export interface SocketConnection extends Connection {
  /** Sends a chat frame (one awaiting its `start` at a time) and routes the run's events to `listener`. */
  chat(frame: Extract<ClientFrame, { type: 'chat' }>, listener: RunListener): RunHandle;
  /** Follows run `id` from seq > `after`. */
  resume(id: string, after: number, listener: RunListener): RunHandle;
  /** Sends a cancel frame; false when the socket is not open (cancel over HTTP instead). */
  cancel(id: string): boolean;
  /** Closes the socket for good; runs on it fail with `network`. */
  close(): void;
}

/**
 * Creates the lazily opened socket that all ws chats of a client share, with a keep-alive and reconnection: when an
 * open socket drops while runs are going, it reconnects with backoff and resumes each run after its last seq.
 */
export function createSocketConnection(options: SocketConnectionOptions): SocketConnection {
  const origin = new URL(options.url).origin;
  const listeners = new Set<(state: ConnectionState) => void>();
  const waiters: Array<{ resolve: () => void; reject: (error: ChatError) => void }> = [];
  let state: ConnectionState = 'idle';
  let socket: WebSocketLike | undefined;
  let attempts = 0;
  let lastErrorDetail = '';
  /** A typed reason the last attempt failed (refused upgrade, failed ticket request). */
  let lastError: ChatError | undefined;
  let handshaking = false;
  let keepAlive: KeepAlive | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;

  const router = createRunRouter({
    send: (frame) => {
      if (state !== 'open' || !socket) return false;
      socket.send(JSON.stringify(frame));
      return true;
    },
    needSocket: () => ensureOpen(),
    idle: () => scheduleIdleClose(),
  });

  function setState(next: ConnectionState): void {
    if (state === next) return;
    state = next;
    for (const listener of [...listeners]) {
      try {
        listener(next);
      } catch {
        // A failing observer must not break the connection.
      }
    }
  }

  function ensureOpen(): void {
    clearTimeout(idleTimer);
    if (state === 'closed') return router.failAll(new ChatError('network', 'the client is closed'));
    if (state === 'open') return router.flush();
    if (socket || retryTimer || handshaking) return;
    open(state === 'reconnecting' ? 'reconnecting' : 'connecting');
  }

  function open(next: 'connecting' | 'reconnecting'): void {
    setState(next);
    router.connecting();
    handshaking = true;
    options.handshake().then(
      (handshake) => {
        handshaking = false;
        if (state === next) connect(handshake);
      },
      (error: unknown) => {
        handshaking = false;
        lastError = isChatError(error)
          ? error
          : new ChatError('network', 'the WebSocket handshake failed', { cause: error });
        if (state === next) gone(undefined);
      },
    );
  }

  function connect(handshake: Handshake): void {
    let created: WebSocketLike;
    try {
      const { url, protocols = [], headers = {} } = handshake;
      created =
        Object.keys(headers).length > 0 || protocols.length > 0
          ? new options.WebSocket(url, protocols, { headers })
          : new options.WebSocket(url);
    } catch (error) {
      lastErrorDetail = error instanceof Error ? error.message : '';
      return void queueMicrotask(() => gone(undefined));
    }
    socket = created;
    created.addEventListener('open', () => {
      if (socket !== created) return;
      attempts = 0;
      setState('open');
      keepAlive = createKeepAlive({
        intervalMs: options.keepAliveMs,
        ping: () => created.send(JSON.stringify({ type: 'ping' } satisfies ClientFrame)),
        dead: () => {
          if (socket !== created) return;
          lastErrorDetail = 'no answer to keep-alive';
          gone(1006);
          created.close();
        },
      });
      for (const waiter of waiters.splice(0)) waiter.resolve();
      router.flush();
      scheduleIdleClose();
    });
    created.addEventListener('message', (message) => {
      if (socket !== created || typeof message.data !== 'string') return;
      keepAlive?.heard();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(message.data) as ServerFrame;
      } catch {
        return;
      }
      const bytes = utf8Length(message.data);
      if (isRunEventFrame(frame)) router.event(frame, bytes);
      else if (frame.type === 'error') router.error(frame);
    });
    created.addEventListener('error', (event) => {
      const cause = event.error as { code?: unknown; message?: unknown } | undefined;
      const detail = cause?.code ?? cause?.message ?? event.message;
      lastErrorDetail = typeof detail === 'string' ? detail : '';
      lastError = refusedUpgrade(lastErrorDetail, origin);
    });
    created.addEventListener('close', (event) => {
      if (socket === created) gone(event.code);
    });
  }

  /** The socket closed, failed to open, or was declared dead. */
  function gone(code: number | undefined): void {
    socket = undefined;
    keepAlive?.stop();
    if (state === 'closed') return;
    const detail = lastErrorDetail ? ` (${lastErrorDetail})` : '';
    const refused = lastError;
    lastErrorDetail = '';
    lastError = undefined;
    // A chat frame without its `start` yet may or may not have started a run: it cannot be resumed, so it fails.
    router.failAwaiting(
      code === 1009
        ? new ChatError('payload_too_large', 'the chat frame exceeds the server limit')
        : new ChatError('network', `the connection to ${origin} closed before the run started${detail}`),
    );
    // A refused upgrade (401, 403, ...) or ticket is an answer, not a network failure: report it as such.
    if (refused && (state === 'connecting' || !refused.retryable)) return giveUp(refused);
    // A socket that never opened sent nothing. Its chats fail at once (nothing listens, say), unless one has an
    // idempotency key: that chat asked to be sent again after a network failure, as over HTTP, so opening is retried.
    const next = state === 'connecting' ? 'connecting' : 'reconnecting';
    const failure =
      next === 'connecting'
        ? `could not connect to ${origin}`
        : `lost the connection to ${origin} and could not reconnect`;
    if (next === 'connecting' && !router.resendable()) return giveUp(new ChatError('network', `${failure}${detail}`));
    if (!router.busy()) return giveUp(new ChatError('network', `the connection to ${origin} closed${detail}`));
    if (++attempts > options.retry.attempts) return giveUp(new ChatError('network', `${failure}${detail}`));
    router.dropped();
    setState(next);
    retryTimer = setTimeout(
      () => {
        retryTimer = undefined;
        if (state !== next) return;
        if (router.busy()) open(next);
        else setState('idle');
      },
      retryDelay(attempts, options.retry),
    );
  }

  function giveUp(error: ChatError): void {
    attempts = 0;
    for (const waiter of waiters.splice(0)) waiter.reject(error);
    router.failAll(error);
    setState('idle');
  }

  function scheduleIdleClose(): void {
    clearTimeout(idleTimer);
    if (router.busy() || state !== 'open' || !Number.isFinite(options.idleCloseMs)) return;
    idleTimer = setTimeout(() => {
      if (router.busy() || state !== 'open' || !socket) return;
      const idleSocket = socket;
      socket = undefined;
      keepAlive?.stop();
      setState('idle');
      idleSocket.close(1000, 'idle');
    }, options.idleCloseMs);
    unrefTimer(idleTimer);
  }

  return {
    get state() {
      return state;
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    connect() {
      if (state === 'open') return Promise.resolve();
      if (state === 'closed') return Promise.reject(new ChatError('network', 'the client is closed'));
      return new Promise((resolve, reject) => {
        waiters.push({ resolve, reject });
        ensureOpen();
      });
    },
    chat: (frame, listener) => router.chat(frame, listener),
    resume: (id, after, listener) => router.resume(id, after, listener),
    cancel: (id) => router.cancel(id),
    close() {
      if (state === 'closed') return;
      setState('closed');
      clearTimeout(retryTimer);
      clearTimeout(idleTimer);
      keepAlive?.stop();
      const closing = socket;
      socket = undefined;
      closing?.close(1000, 'client closed');
      const error = new ChatError('network', 'the client was closed');
      for (const waiter of waiters.splice(0)) waiter.reject(error);
      router.failAll(error);
    },
  };
}
