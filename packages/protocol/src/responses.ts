import type { ErrorPayload } from './errors.js';
import type { FinishReason, RunEvent, Usage } from './events.js';
import type { Mode } from './modes.js';

/** Lifecycle of a run as the polling API reports it. */
export const RUN_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;

/** One of {@link RUN_STATUSES}. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** `POST /api/sync/chat` → 200. */
export interface SyncChatResponse {
  id: string;
  model: string;
  response: string;
  finish_reason: FinishReason;
  usage: Usage;
}

/** `POST /api/async/chat` → 202 (with a `Location` header pointing at the status URL). */
export interface AsyncChatAccepted {
  task_id: string;
  status: 'pending';
}

/**
 * `GET /api/async/status/:task_id` and `GET /api/runs/:id`: where a run stands.
 * With `?after=SEQ` it also carries the `events` with seq > SEQ.
 */
export interface RunSnapshot {
  task_id: string;
  /** Same as `task_id`; every other message names a run by `id`. */
  id: string;
  status: RunStatus;
  model: string;
  /** The mode the run was created in; any mode may read it. */
  mode: Mode;
  created_at: string;
  /** The answer so far. */
  partial: string;
  /** The whole answer, once `completed`. */
  response?: string;
  finish_reason?: FinishReason;
  usage?: Usage;
  error?: ErrorPayload;
  /** Seq of the newest event (0 once started). */
  last_seq: number;
  /** Events with seq > `after`, when `after` was given. */
  events?: RunEvent[];
}

/** One model the server offers. */
export interface ModelInfo {
  id: string;
  /** Which provider serves it: `groq` or `simulated`. */
  provider: string;
}

/** `GET /api/models`. */
export interface ModelsResponse {
  default: string;
  data: ModelInfo[];
}

/** `GET /healthz`. */
export interface HealthResponse {
  status: 'ok';
  provider: string;
}

/** True for `completed`, `failed` and `cancelled`: the run has ended and will not change. */
export function isFinalStatus(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}
