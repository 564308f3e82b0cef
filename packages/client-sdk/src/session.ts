export {
  createChatSession,
  type ChatSession,
  type ChatSessionOptions,
  type ChatSessionState,
  type SessionMessage,
} from './session/chat-session.js';
export type { SessionStorageLike } from './session/session-store.js';
