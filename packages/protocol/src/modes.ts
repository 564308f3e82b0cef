/**
 * The four ways chatwire delivers a chat, one union everywhere (routes, client, CLI, UI, docs).
 *
 * - `sync`: one `POST /api/sync/chat`, the whole answer in one JSON response.
 * - `polling`: `POST /api/async/chat` then `GET /api/async/status/:id` (long polling with `after` and `wait`).
 * - `sse`: `POST /api/sse/chat` answered with a `text/event-stream`.
 * - `ws`: frames on the `GET /ws/chat` WebSocket.
 */
export const MODES = ['sync', 'polling', 'sse', 'ws'] as const;

/** One of the four delivery modes. */
export type Mode = (typeof MODES)[number];

/** True when `value` is one of {@link MODES}. */
export function isMode(value: unknown): value is Mode {
  return typeof value === 'string' && (MODES as readonly string[]).includes(value);
}

/** Version of the wire protocol described in docs/PROTOCOL.md. */
export const PROTOCOL_VERSION = 1;
