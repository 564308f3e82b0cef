export {
  createChatClient,
  type ChatClient,
  type ChatClientOptions,
  type ChatOptions,
  type ResumeMode,
  type ResumeOptions,
} from './chat-client.js';
export type { ChatEvent, ChatResult, ChatStream } from './chat-stream.js';
export type { ChatStats, Fallback, FallbackReason, StatsRecorder } from './chat-stats.js';
export {
  CLIENT_ERROR_CODES,
  ChatError,
  isChatError,
  type ChatErrorCode,
  type ChatErrorOptions,
  type ClientErrorCode,
} from './chat-error.js';
export type { Connection, ConnectionState } from './connection.js';
export type { RetryOptions } from './retry.js';
export type { ChatMode, Transport, TransportContext } from './transport.js';
export type { ModeStorage } from './mode-memory.js';
export type { WebSocketAuth, WebSocketConstructor, WebSocketLike } from './web-socket.js';
export {
  MODES,
  isMode,
  type ChatMessage,
  type ChatRequest,
  type DoneEvent,
  type ErrorCode,
  type FinishReason,
  type Mode,
  type ModelsResponse,
  type RunEvent,
  type StartEvent,
  type TokenEvent,
  type Usage,
} from '@chatwire/protocol';
