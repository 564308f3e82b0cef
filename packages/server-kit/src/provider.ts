import type { FinishReason, ModelInfo, NormalizedChatRequest, Usage } from '@chatwire/protocol';

/** What a provider is asked: a validated request whose model is resolved. */
export interface ProviderRequest extends NormalizedChatRequest {
  model: string;
}

/** What a provider streams: text pieces, then exactly one `done`. */
export type ProviderChunk =
  { type: 'token'; text: string } | { type: 'done'; finish_reason: FinishReason; usage: Usage };

/**
 * A language model backend. Implementations: `createSimulatedProvider` (offline default) and `createGroqProvider`.
 *
 * `stream` must stop promptly when `signal` aborts, and throw {@link ChatError}s with protocol codes
 * (`rate_limited`, `upstream_auth`, `upstream_unavailable`, `upstream_timeout`, ...) for failures.
 */
export interface Provider {
  /** `groq`, `simulated`, ... (shown in `/healthz` and `/api/models`). */
  readonly name: string;
  /** The model used when a request names none. */
  readonly defaultModel: string;
  /** The models this provider serves. */
  listModels(signal?: AbortSignal): Promise<ModelInfo[]>;
  /** Streams the answer to `request`; ends with one `done` chunk. */
  stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<ProviderChunk>;
}
