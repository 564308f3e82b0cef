export { createChatKit, isClientDisconnect, type ChatKit, type ChatKitOptions, type ChatKitStats } from './chat-kit.js';
export type { NodeHandler } from './adapters/node.js';
export type { FetchHandler, FetchHandlerOptions } from './adapters/fetch.js';
export type { KoaContextLike, KoaMiddleware } from './adapters/koa.js';
export { ChatError, type ChatErrorOptions } from './chat-error.js';
export type { Provider, ProviderChunk, ProviderRequest } from './provider.js';
export type {
  CreateOptions,
  CreateResult,
  IdempotencyClaim,
  RunInfo,
  RunState,
  RunStore,
  WaitOptions,
} from './store.js';
export { createMemoryRunStore, type MemoryRunStoreOptions } from './stores/memory.js';
export {
  createRunEngine,
  type RunEngine,
  type RunEngineOptions,
  type RunObserver,
  type RunSummary,
  type StartOptions,
  type StartedRun,
} from './run-engine.js';
export { createKitMetrics, type KitMetrics, type KitMetricsOptions } from './metrics.js';
export { combineObservers, createRunLogObserver } from './run-log.js';
export { createRunLimits, type RunCounter, type RunLimits, type RunLimitsOptions } from './run-limits.js';
export type { JobQueue, RunJob } from './job-queue.js';
export {
  anonymousPrincipal,
  createApiKeyAuthenticator,
  type Authenticate,
  type AuthenticationRequest,
  type Principal,
} from './principal.js';
export {
  createTicketIssuer,
  MIN_TICKET_SECRET_LENGTH,
  type TicketIssuer,
  type TicketIssuerOptions,
} from './ws-ticket.js';
export { createClientAddress, type AddressedRequest, type ClientAddress } from './client-address.js';
export { WS_SUBPROTOCOL } from './modes/ws-handshake.js';
export { coalesceTokens } from './stream-pump.js';
export { createConsoleLogger, type Logger } from './logger.js';
export type { WebSocketMode, WebSocketModeOptions } from './modes/ws.js';
export { createSimulatedProvider, type SimulatedFault, type SimulatedProviderOptions } from './providers/simulated.js';
export { SIMULATED_PROFILES, type SimulatedProfile } from './providers/simulated-profiles.js';
export { createGroqProvider, GROQ_FALLBACK_MODELS, type GroqProviderOptions } from './providers/groq.js';
