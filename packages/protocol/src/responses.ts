import type { z } from 'zod';
import type {
  asyncChatAcceptedSchema,
  cancelResponseSchema,
  healthResponseSchema,
  modelInfoSchema,
  modelsResponseSchema,
  runSnapshotSchema,
  syncChatResponseSchema,
  ticketResponseSchema,
} from './schemas.js';

/** Lifecycle of a run as the polling API reports it. */
export const RUN_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;

/** One of {@link RUN_STATUSES}. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** `POST /api/sync/chat` → 200. */
export type SyncChatResponse = z.infer<typeof syncChatResponseSchema>;

/** `POST /api/async/chat` → 202 (with a `Location` header pointing at the status URL). */
export type AsyncChatAccepted = z.infer<typeof asyncChatAcceptedSchema>;

/**
 * `GET /api/async/status/:task_id` and `GET /api/runs/:id`: where a run stands.
 * With `?after=SEQ` it also carries the `events` with seq > SEQ.
 */
export type RunSnapshot = z.infer<typeof runSnapshotSchema>;

/** `POST /api/runs/:id/cancel`. */
export type CancelResponse = z.infer<typeof cancelResponseSchema>;

/** One model the server offers. */
export type ModelInfo = z.infer<typeof modelInfoSchema>;

/** `GET /api/models`. */
export type ModelsResponse = z.infer<typeof modelsResponseSchema>;

/** `GET /healthz`. */
export type HealthResponse = z.infer<typeof healthResponseSchema>;

/** `POST /api/ws/ticket`. */
export type TicketResponse = z.infer<typeof ticketResponseSchema>;

/** True for `completed`, `failed` and `cancelled`: the run has ended and will not change. */
export function isFinalStatus(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}
