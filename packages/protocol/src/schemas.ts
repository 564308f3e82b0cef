import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { MODES } from './modes.js';

/*
 * The response and event shapes as zod schemas: the TypeScript types in events.ts and responses.ts are inferred from
 * them, and the OpenAPI document is generated from them, so no shape is written twice. Nothing here validates at run
 * time on the hot path; importing only types from this package keeps zod out of a browser bundle.
 */

export const usageSchema = z
  .object({
    prompt_tokens: z.number().int().nonnegative(),
    completion_tokens: z.number().int().nonnegative(),
    total_tokens: z.number().int().nonnegative(),
  })
  .meta({ id: 'Usage', description: 'Token accounting reported when a run completes.' });

export const finishReasonSchema = z.string().meta({
  description:
    'Why the model stopped: `stop` (natural end), `length` (hit `max_tokens`), or what the upstream reported.',
});

const eventBase = {
  id: z.string().meta({ description: 'The run id: 128 random bits, base64url.' }),
  seq: z.number().int().nonnegative().meta({ description: 'Strictly increasing within a run; `start` is 0.' }),
};

export const startEventSchema = z
  .object({
    ...eventBase,
    type: z.literal('start'),
    model: z.string(),
    created_at: z.string().meta({ description: 'ISO 8601 time the run was created.' }),
    request_id: z.string().optional().meta({ description: "Echo of the WS chat frame's `request_id`." }),
  })
  .meta({ id: 'StartEvent', description: 'Always seq 0.' });

export const tokenEventSchema = z
  .object({ ...eventBase, type: z.literal('token'), text: z.string() })
  .meta({ id: 'TokenEvent', description: "A piece of the answer; the tokens' texts joined are the answer." });

export const doneEventSchema = z
  .object({ ...eventBase, type: z.literal('done'), finish_reason: finishReasonSchema, usage: usageSchema })
  .meta({ id: 'DoneEvent', description: 'The run completed. Terminal.' });

const errorFields = {
  code: z.enum(ERROR_CODES),
  message: z.string().meta({ description: 'For people; never internals or secrets.' }),
  retryable: z.boolean(),
  retry_after_ms: z.number().int().nonnegative().optional().meta({ description: 'How long to wait before retrying.' }),
};

export const errorEventSchema = z
  .object({ ...eventBase, type: z.literal('error'), ...errorFields })
  .meta({ id: 'ErrorEvent', description: 'The run failed or was cancelled (`code: "cancelled"`). Terminal.' });

export const runEventSchema = z
  .discriminatedUnion('type', [startEventSchema, tokenEventSchema, doneEventSchema, errorEventSchema])
  .meta({ id: 'RunEvent', description: 'One event of a run: `start`, `token`..., then one `done` or `error`.' });

export const errorPayloadSchema = z.object(errorFields).meta({ id: 'ErrorPayload' });

export const errorBodySchema = z
  .object({ error: errorPayloadSchema })
  .meta({ id: 'ErrorBody', description: 'Body of every HTTP error response.' });

export const runStatusSchema = z
  .enum(['pending', 'processing', 'completed', 'failed', 'cancelled'])
  .meta({ id: 'RunStatus' });

export const syncChatResponseSchema = z
  .object({
    id: z.string(),
    model: z.string(),
    created_at: z.string().meta({ description: 'ISO 8601 time the run was created.' }),
    response: z.string(),
    finish_reason: finishReasonSchema,
    usage: usageSchema,
  })
  .meta({ id: 'SyncChatResponse' });

export const asyncChatAcceptedSchema = z
  .object({ task_id: z.string(), status: z.literal('pending') })
  .meta({ id: 'AsyncChatAccepted' });

export const runSnapshotSchema = z
  .object({
    task_id: z.string(),
    id: z.string().meta({ description: 'Same as `task_id`.' }),
    status: runStatusSchema,
    model: z.string(),
    mode: z.enum(MODES).meta({ description: 'The mode the run was created in; any mode may read it.' }),
    created_at: z.string(),
    partial: z.string().optional().meta({
      description: 'The answer so far; left out of answers to `after` >= 0, whose `events` carry the text.',
    }),
    response: z.string().optional().meta({ description: 'The whole answer, once `completed`.' }),
    finish_reason: finishReasonSchema.optional(),
    usage: usageSchema.optional(),
    error: errorPayloadSchema.optional(),
    last_seq: z.number().int().meta({ description: 'Seq of the newest event.' }),
    events: z
      .array(runEventSchema)
      .optional()
      .meta({ description: 'Events with seq > `after`, when `after` was given.' }),
  })
  .meta({ id: 'RunSnapshot', description: 'Where a run stands (the polling view).' });

export const cancelResponseSchema = z
  .object({ id: z.string(), cancelled: z.boolean(), status: runStatusSchema })
  .meta({ id: 'CancelResponse', description: '`cancelled` is false when the run had already ended.' });

export const modelInfoSchema = z
  .object({ id: z.string(), provider: z.string().meta({ description: '`groq` or `simulated`.' }) })
  .meta({ id: 'ModelInfo' });

export const modelsResponseSchema = z
  .object({ default: z.string(), data: z.array(modelInfoSchema) })
  .meta({ id: 'ModelsResponse' });

export const healthResponseSchema = z
  .object({ status: z.literal('ok'), provider: z.string() })
  .meta({ id: 'HealthResponse' });

export const ticketResponseSchema = z
  .object({ ticket: z.string(), expires_in: z.number().int().meta({ description: 'Seconds.' }) })
  .meta({ id: 'TicketResponse' });
