// The light entry: types and zod-free helpers, safe for browser bundles. Validation lives in
// `@chatwire/protocol/validation`.
export { MODES, PROTOCOL_VERSION, isMode, type Mode } from './modes.js';
export {
  ERROR_CODES,
  ERROR_RETRYABLE,
  ERROR_STATUS,
  isErrorCode,
  type ErrorBody,
  type ErrorCode,
  type ErrorPayload,
} from './errors.js';
export {
  isTerminalEvent,
  type DoneEvent,
  type ErrorEvent,
  type FinishReason,
  type RunEvent,
  type RunEventBody,
  type RunEventType,
  type StartEvent,
  type TokenEvent,
  type Usage,
} from './events.js';
export {
  RUN_STATUSES,
  isFinalStatus,
  type AsyncChatAccepted,
  type CancelResponse,
  type HealthResponse,
  type ModelInfo,
  type ModelsResponse,
  type RunSnapshot,
  type RunStatus,
  type SyncChatResponse,
  type TicketResponse,
} from './responses.js';
export {
  DEFAULT_REQUEST_LIMITS,
  ROLES,
  type ChatMessage,
  type ChatRequest,
  type NormalizedChatRequest,
  type ParseResult,
  type RequestLimits,
  type Role,
} from './request-types.js';
export {
  isRunEventFrame,
  isRunIdShape,
  type CancelFrame,
  type ChatFrame,
  type ClientFrame,
  type ErrorFrame,
  type ParsedClientFrame,
  type PingFrame,
  type PongFrame,
  type ResumeFrame,
  type ServerFrame,
} from './frames.js';
export { formatSseComment, formatSseEvent, parseAfterSeq } from './sse.js';
