import type { Mode } from '@chatwire/client-sdk';

/** The four modes in the order the UI shows them. */
export const UI_MODES: readonly Mode[] = ['sync', 'polling', 'sse', 'ws'];

/** How each mode is named and explained in the UI. */
export const MODE_INFO: Record<Mode, { label: string; description: string }> = {
  sync: { label: 'Sync', description: 'One POST, the whole answer at once (REST, synchronous).' },
  polling: {
    label: 'Polling',
    description: 'POST a task, then long-poll its status for new tokens (REST, asynchronous).',
  },
  sse: { label: 'SSE', description: 'One POST answered with a Server-Sent Events stream of tokens.' },
  ws: { label: 'WebSocket', description: 'Frames on one persistent WebSocket shared by every chat.' },
};
