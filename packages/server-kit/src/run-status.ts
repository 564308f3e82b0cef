import type { RunEvent, RunStatus } from '@chatwire/protocol';

/** The run status after `event` is appended to a run that was `status`. Every store keeps status with this rule. */
export function statusAfter(status: RunStatus, event: RunEvent): RunStatus {
  switch (event.type) {
    case 'start':
      return 'pending';
    case 'token':
      return 'processing';
    case 'done':
      return 'completed';
    case 'error':
      return event.code === 'cancelled' ? 'cancelled' : 'failed';
    default: {
      const unreachable: never = event;
      return unreachable ?? status;
    }
  }
}
