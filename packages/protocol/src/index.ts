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
  type TicketResponse,
  type HealthResponse,
  type ModelInfo,
  type ModelsResponse,
  type RunSnapshot,
  type RunStatus,
  type SyncChatResponse,
} from './responses.js';
export {
  DEFAULT_REQUEST_LIMITS,
  ROLES,
  chatRequestSchema,
  parseChatRequest,
  parseJson,
  type ChatMessage,
  type ChatRequest,
  type NormalizedChatRequest,
  type ParseResult,
  type RequestLimits,
  type Role,
} from './request.js';
export {
  isRunEventFrame,
  isRunIdShape,
  parseClientFrame,
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
export * from './schemas.js';
export { createOpenApiDocument, type OpenApiOptions } from './openapi.js';
