import type { ErrorPayload } from './errors.js';
import type { RunEvent } from './events.js';
import { parseChatRequest, parseJson, type ChatRequest, type NormalizedChatRequest, type ParseResult, type RequestLimits } from './request.js';

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
const TAG = /^[\x20-\x7e]{1,200}$/;

/** True when `id` has the shape of a run id (URL-safe, bounded). */
export function isRunIdShape(id: unknown): id is string {
  return typeof id === 'string' && RUN_ID.test(id);
}

/** Parses one text frame from a WS client. Errors name the problem; the socket stays usable. */
export function parseClientFrame(text: string, limits: RequestLimits = {}): ParseResult<ParsedClientFrame> {
  const json = parseJson(text);
  if (!json.ok) return { ok: false, error: { code: 'invalid_json', message: 'the frame is not valid JSON' } };
  const frame = json.value;
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return invalid('the frame must be a JSON object');
  const record = frame as Record<string, unknown>;
  switch (record.type) {
    case 'chat': {
      const { type: _type, request_id, idempotency_key, ...body } = record;
      if (request_id !== undefined && !(typeof request_id === 'string' && TAG.test(request_id))) {
        return invalid('request_id: must be a printable string of at most 200 characters');
      }
      if (idempotency_key !== undefined && !(typeof idempotency_key === 'string' && TAG.test(idempotency_key))) {
        return invalid('idempotency_key: must be a printable string of at most 200 characters');
      }
      const request = parseChatRequest(body, limits);
      if (!request.ok) return request;
      const parsed: ParsedClientFrame = { type: 'chat', request: request.value };
      if (typeof request_id === 'string') parsed.request_id = request_id;
      if (typeof idempotency_key === 'string') parsed.idempotency_key = idempotency_key;
      return { ok: true, value: parsed };
    }
    case 'cancel':
      if (!isRunIdShape(record.id)) return invalid('id: must be a run id');
      return { ok: true, value: { type: 'cancel', id: record.id } };
    case 'resume': {
      if (!isRunIdShape(record.id)) return invalid('id: must be a run id');
      const after = record.after ?? -1;
      if (typeof after !== 'number' || !Number.isInteger(after) || after < -1) {
        return invalid('after: must be an integer >= -1');
      }
      return { ok: true, value: { type: 'resume', id: record.id, after } };
    }
    case 'ping':
      return { ok: true, value: { type: 'ping' } };
    default:
      return invalid('type: must be one of chat, cancel, resume, ping');
  }
}

function invalid(message: string): ParseResult<never> {
  return { ok: false, error: { code: 'invalid_request', message } };
}
