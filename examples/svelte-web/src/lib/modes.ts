import type { ChatMode, Mode } from '@chatwire/client-sdk';

/** The four modes in the order the UI shows them (the Compare view's columns). */
export const UI_MODES: readonly Mode[] = ['sync', 'polling', 'sse', 'ws'];

/** The chat's tabs: `auto`, the default, then the four modes. */
export const CHAT_MODES: readonly ChatMode[] = ['auto', ...UI_MODES];

/** How each mode is named and explained in the UI. */
export const MODE_INFO: Record<ChatMode, { label: string; description: string }> = {
  auto: {
    label: 'Auto',
    description:
      'WebSocket when it connects, else SSE, else polling; an answer whose connection fails goes on over the next one.',
  },
  sync: { label: 'Sync', description: 'One POST, the whole answer at once (REST, synchronous).' },
  polling: {
    label: 'Polling',
    description: 'POST a task, then long-poll its status for new tokens (REST, asynchronous).',
  },
  sse: { label: 'SSE', description: 'One POST answered with a Server-Sent Events stream of tokens.' },
  ws: { label: 'WebSocket', description: 'Frames on one persistent WebSocket shared by every chat.' },
};
