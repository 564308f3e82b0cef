import type { Mode } from '@chatwire/protocol';

/** Why `mode: 'auto'` left a transport. */
export type FallbackReason =
  /** The WebSocket upgrade was refused (HTTP 4xx/5xx on the handshake, or the connection failed at once). */
  | 'ws_refused'
  /** The WebSocket did not open within `webSocketConnectTimeoutMs`. */
  | 'ws_timeout'
  /** The WebSocket dropped mid-answer and could not be reopened in time. */
  | 'ws_lost'
  /** The SSE response delivered no event within `bufferingTimeoutMs` while the run moved on: something buffers it. */
  | 'sse_buffered'
  /** The SSE request failed, or was not answered with an event stream. */
  | 'sse_failed';

/** One switch of transport in an auto-mode chat. */
export interface Fallback {
  from: Mode;
  to: Mode;
  reason: FallbackReason;
}

/**
 * What one chat cost on the wire, updated live as it runs, so apps can compare modes. Times are measured from the
 * `chat()` (or `resume()`) call with the client's `now` clock.
 */
export interface ChatStats {
  /** The transport that delivered the end of the answer (while it runs: the one in use). */
  readonly mode: Mode;
  /** The switches an auto-mode chat made, in order; empty when nothing had to change (and in plain modes). */
  readonly fallbacks: readonly Fallback[];
  /** Milliseconds until the first `token` event arrived; undefined until then (or when the answer is empty). */
  readonly timeToFirstTokenMs: number | undefined;
  /** Milliseconds until the run ended (answer, error or cancel); undefined while it runs. */
  readonly totalMs: number | undefined;
  /** HTTP requests made for this chat, WebSocket upgrades included (a chat on an already open socket makes none). */
  readonly requests: number;
  /** Bytes of response bodies and WebSocket messages received for this chat (headers not counted). */
  readonly bytesReceived: number;
  /** Times a broken connection or a failed poll was recovered from by resuming the run. */
  readonly reconnects: number;
  /** `token` events received (sync mode: one). */
  readonly tokens: number;
}

/** What transports report while they work; the chat stream records times itself. */
export interface StatsRecorder {
  /** An HTTP request (or a WebSocket upgrade) was sent. */
  request(): void;
  /** `bytes` bytes of body or message arrived. */
  received(bytes: number): void;
  /** A connection was re-established to resume the run. */
  reconnect(): void;
  /** Auto mode picked its first transport. */
  using(mode: Mode): void;
  /** Auto mode switched transports. */
  switched(fallback: Fallback): void;
}

/** Mutable stats behind a {@link ChatStats} view. */
export interface StatsTracker {
  readonly stats: ChatStats;
  readonly recorder: StatsRecorder;
  /** Records a token event (and the time to first token on the first one). */
  token(): void;
  /** Records the end of the run. */
  end(): void;
}

/** Creates the stats of one chat, timed from now (auto mode: `mode` is its first candidate until it picks). */
export function createStatsTracker(mode: Mode, now: () => number): StatsTracker {
  const startedAt = now();
  const stats: { -readonly [K in keyof ChatStats]: ChatStats[K] } = {
    mode,
    timeToFirstTokenMs: undefined,
    totalMs: undefined,
    requests: 0,
    bytesReceived: 0,
    reconnects: 0,
    tokens: 0,
    fallbacks: [],
  };
  return {
    stats,
    recorder: {
      request: () => void stats.requests++,
      received: (bytes) => void (stats.bytesReceived += bytes),
      reconnect: () => void stats.reconnects++,
      using: (mode) => void (stats.mode = mode),
      switched(fallback) {
        stats.fallbacks = [...stats.fallbacks, fallback];
        stats.mode = fallback.to;
      },
    },
    token() {
      stats.tokens++;
      stats.timeToFirstTokenMs ??= now() - startedAt;
    },
    end() {
      stats.totalMs ??= now() - startedAt;
    },
  };
}

/** UTF-8 length of `text` without allocating (WebSocket messages arrive decoded). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      bytes += 4;
      index++;
    } else bytes += 3;
  }
  return bytes;
}
