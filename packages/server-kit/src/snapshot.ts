import type { RunEvent, RunSnapshot } from '@chatwire/protocol';
import type { RunState } from './store.js';

/**
 * Builds the polling API's view of a run from its stored state (and, with `after`, the newer events). `partial` is
 * left out when `after` >= 0: a poller following the events has the text already, and repeating it in every answer
 * made polling cost 1.4 times SSE's bytes.
 */
export function toRunSnapshot(state: RunState, events?: RunEvent[], after?: number): RunSnapshot {
  const { info, status, partial, last_seq, terminal } = state;
  const snapshot: RunSnapshot = {
    task_id: info.id,
    id: info.id,
    status,
    model: info.model,
    mode: info.mode,
    created_at: info.created_at,
    last_seq,
  };
  if (after === undefined || after < 0) snapshot.partial = partial;
  if (terminal?.type === 'done') {
    snapshot.response = partial;
    snapshot.finish_reason = terminal.finish_reason;
    snapshot.usage = terminal.usage;
  } else if (terminal?.type === 'error') {
    snapshot.error = { code: terminal.code, message: terminal.message, retryable: terminal.retryable };
    if (terminal.retry_after_ms !== undefined) snapshot.error.retry_after_ms = terminal.retry_after_ms;
  }
  if (events) snapshot.events = events;
  return snapshot;
}
