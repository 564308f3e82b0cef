import type { z } from 'zod';
import type {
  doneEventSchema,
  errorEventSchema,
  runEventSchema,
  startEventSchema,
  tokenEventSchema,
  usageSchema,
} from './schemas.js';

/** Token accounting reported when a run completes. */
export type Usage = z.infer<typeof usageSchema>;

/** Why the model stopped: `stop` (natural end), `length` (hit `max_tokens`), or what the upstream reported. */
export type FinishReason = 'stop' | 'length' | 'content_filter' | (string & {});

/** Always seq 0. */
export type StartEvent = z.infer<typeof startEventSchema>;

/** A piece of the answer; concatenating every token's `text` gives the answer. */
export type TokenEvent = z.infer<typeof tokenEventSchema>;

/** The run completed. Terminal. */
export type DoneEvent = z.infer<typeof doneEventSchema>;

/** The run failed or was cancelled (`code: "cancelled"`). Terminal. */
export type ErrorEvent = z.infer<typeof errorEventSchema>;

/** One event of a run. A run is `start`, zero or more `token`, then exactly one `done` or `error`. */
export type RunEvent = z.infer<typeof runEventSchema>;

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
