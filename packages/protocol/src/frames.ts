import type { ErrorPayload } from './errors.js';
import type { RunEvent } from './events.js';
import type { ChatRequest, NormalizedChatRequest } from './request-types.js';

/** WS client → server: start a run. */
export type ChatFrame = { type: 'chat'; request_id?: string; idempotency_key?: string } & ChatRequest;
/** WS client → server: cancel a run (started on any socket, in any mode). */
export interface CancelFrame {
  type: 'cancel';
  id: string;
}
/** WS client → server: send the events of run `id` with seq > `after`, then follow it. */
export interface ResumeFrame {
  type: 'resume';
  id: string;
  after: number;
}
/** WS client → server: application keep-alive, for browsers that cannot send ping frames. */
export interface PingFrame {
  type: 'ping';
}
/** Everything a client may send on `/ws/chat`. */
export type ClientFrame = ChatFrame | CancelFrame | ResumeFrame | PingFrame;

/** A validated client frame: chat frames carry a normalised request. */
export type ParsedClientFrame =
  | { type: 'chat'; request_id?: string; idempotency_key?: string; request: NormalizedChatRequest }
  | CancelFrame
  | ResumeFrame
  | PingFrame;

/**
 * WS server → client: an error not tied to a run's event stream (a malformed frame, a chat refused before its run
 * started, an unknown run id). It has no `seq`; `request_id` or `id` say what it answers.
 */
export type ErrorFrame = { type: 'error'; request_id?: string; id?: string } & ErrorPayload;

/** WS server → client: answer to a {@link PingFrame}. */
export interface PongFrame {
  type: 'pong';
}

/** Everything the server sends on `/ws/chat`: run events (they have `seq`), error frames and pongs. */
export type ServerFrame = RunEvent | ErrorFrame | PongFrame;

/** True when a server frame is an event of a run (as opposed to an error frame or pong). */
export function isRunEventFrame(frame: ServerFrame): frame is RunEvent {
  return 'seq' in frame && typeof frame.seq === 'number';
}

const RUN_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** True when `id` has the shape of a run id (URL-safe, bounded). */
export function isRunIdShape(id: unknown): id is string {
  return typeof id === 'string' && RUN_ID.test(id);
}
