import type { TargetId } from '../targets.js';
import { createDirectClient } from './direct.js';
import { createPollingClient } from './polling.js';
import { chatwireDialect, createSseClient, uiMessageDialect } from './sse.js';
import { createSocketIoClient } from './socket-io.js';
import { createSyncClient } from './sync.js';
import type { TargetClient, TargetClientOptions } from './target-client.js';
import { createWsClient } from './ws.js';

/** The client of each target, from a table. */
export const CLIENTS: Record<TargetId, (options: TargetClientOptions) => TargetClient> = {
  direct: () => createDirectClient(),
  'kit-sync': createSyncClient,
  'kit-polling': createPollingClient,
  'kit-sse': (options) => createSseClient({ ...options, path: '/api/sse/chat', dialect: () => chatwireDialect }),
  'kit-ws': createWsClient,
  'bare-sse': (options) => createSseClient({ ...options, path: '/api/sse/chat', dialect: () => chatwireDialect }),
  'bare-ws': createWsClient,
  'ai-sdk': (options) => createSseClient({ ...options, path: '/api/chat', dialect: uiMessageDialect }),
  'socket.io': createSocketIoClient,
};
