import type { ErrorCode } from './errors.js';

/** Token accounting reported when a run completes. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Why the model stopped: `stop` (natural end), `length` (hit `max_tokens`), or what the upstream reported. */
export type FinishReason = 'stop' | 'length' | 'content_filter' | (string & {});

interface EventBase {
  /** The run id. */
  id: string;
  /** 0, 1, 2, ... strictly increasing within a run. */
  seq: number;
}

/** Always seq 0. */
export interface StartEvent extends EventBase {
  type: 'start';
  model: string;
  /** ISO 8601 time the run was created. */
  created_at: string;
  /** Echo of the WS chat frame's `request_id`, so a socket can match runs to requests. */
  request_id?: string;
}

/** A piece of the answer; concatenating every token's `text` gives the answer. */
export interface TokenEvent extends EventBase {
  type: 'token';
  text: string;
}

/** The run completed. Terminal. */
export interface DoneEvent extends EventBase {
  type: 'done';
  finish_reason: FinishReason;
  usage: Usage;
}

/** The run failed or was cancelled (`code: "cancelled"`). Terminal. */
export interface ErrorEvent extends EventBase {
  type: 'error';
  code: ErrorCode;
  message: string;
  retryable: boolean;
  retry_after_ms?: number;
}

/** One event of a run. A run is `start`, zero or more `token`, then exactly one `done` or `error`. */
export type RunEvent = StartEvent | TokenEvent | DoneEvent | ErrorEvent;

/** The `type` of a {@link RunEvent}. */
export type RunEventType = RunEvent['type'];

/** A run event before the engine gives it its run id and seq. */
export type RunEventBody =
  | Omit<StartEvent, 'id' | 'seq'>
  | Omit<TokenEvent, 'id' | 'seq'>
  | Omit<DoneEvent, 'id' | 'seq'>
  | Omit<ErrorEvent, 'id' | 'seq'>;

/** True for `done` and `error`, the events that end a run. */
export function isTerminalEvent(event: { type: RunEventType }): event is DoneEvent | ErrorEvent {
  return event.type === 'done' || event.type === 'error';
}
