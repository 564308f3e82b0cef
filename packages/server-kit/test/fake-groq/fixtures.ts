/**
 * Groq wire-format samples for the fake server, shaped after captures of Groq's OpenAI-compatible API
 * (groq-sdk 1.6.0). Ids, timings and token counts are illustrative.
 */

/** The API key the fake accepts unless told otherwise. */
export const FAKE_GROQ_API_KEY = 'gsk_fake_0123456789abcdefghijklmnopqrstuvwxyz';

/** The answer the fake streams when nothing else is scripted ("Bonjour!"). */
export const DEFAULT_TOKENS: readonly string[] = ['Bon', 'jour', '!'];

/** One entry of `GET /openai/v1/models`. */
export interface FakeGroqModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  active: boolean;
  context_window: number;
  public_apps: null;
  max_completion_tokens: number;
}

/** What `GET /openai/v1/models` lists by default: chat models, an inactive one and a speech model. */
export const DEFAULT_MODELS: readonly FakeGroqModel[] = [
  model('openai/gpt-oss-20b', 'OpenAI', 1754407957, 65536),
  model('openai/gpt-oss-120b', 'OpenAI', 1754408224, 65536),
  model('groq/compound', 'Groq', 1756949530, 8192),
  { ...model('groq/compound-mini', 'Groq', 1756949707, 8192), active: false },
  model('whisper-large-v3', 'OpenAI', 1693721698, 448),
];

/** Retired ids: Groq answers `model_decommissioned` for them. */
export const DECOMMISSIONED_MODELS: readonly string[] = [
  'llama-3.1-8b-instant',
  'llama-3.3-70b-versatile',
  'mixtral-8x7b-32768',
];

function model(id: string, ownedBy: string, created: number, maxCompletionTokens: number): FakeGroqModel {
  return {
    id,
    object: 'model',
    created,
    owned_by: ownedBy,
    active: true,
    context_window: 131072,
    public_apps: null,
    max_completion_tokens: maxCompletionTokens,
  };
}

/** Groq's error body: `{"error":{"message","type","code"}}`. */
export function errorBody(message: string, type: string, code: string | null): { error: Record<string, unknown> } {
  return { error: { message, type, code } };
}

/** 401 body for a missing or wrong key. */
export const INVALID_API_KEY_BODY = errorBody('Invalid API Key', 'invalid_request_error', 'invalid_api_key');

/** Body of a decommissioned model error. */
export function decommissionedBody(modelId: string): { error: Record<string, unknown> } {
  return errorBody(
    `The model \`${modelId}\` has been decommissioned and is no longer supported.`,
    'invalid_request_error',
    'model_decommissioned',
  );
}

/** Body of an unknown model error. */
export function modelNotFoundBody(modelId: string): { error: Record<string, unknown> } {
  return errorBody(
    `The model \`${modelId}\` does not exist or you do not have access to it.`,
    'invalid_request_error',
    'model_not_found',
  );
}

/** Body of a 429 on tokens per minute. */
export function rateLimitBody(modelId: string, retryText: string): { error: Record<string, unknown> } {
  return errorBody(
    `Rate limit reached for model \`${modelId}\` in organization \`org_01example\` service tier \`on_demand\` on ` +
      `tokens per minute (TPM): Limit 8000, Used 7950, Requested 120. Please try again in ${retryText}.`,
    'tokens',
    'rate_limit_exceeded',
  );
}

/** Groq's usage object (times in seconds). */
export function usage(promptTokens: number, completionTokens: number): Record<string, number> {
  return {
    queue_time: 0.051,
    prompt_tokens: promptTokens,
    prompt_time: 0.002,
    completion_tokens: completionTokens,
    completion_time: 0.003,
    total_tokens: promptTokens + completionTokens,
    total_time: 0.005,
  };
}

/** Ids shared by every chunk of one streamed completion. */
export interface StreamIds {
  completionId: string;
  requestId: string;
  modelId: string;
}

function chunk(ids: StreamIds, delta: Record<string, unknown>, finishReason: string | null): Record<string, unknown> {
  return {
    id: ids.completionId,
    object: 'chat.completion.chunk',
    created: 1764072000,
    model: ids.modelId,
    system_fingerprint: 'fp_4c6b7b3d21',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

/** First chunk: the role, empty content and `x_groq.id`. */
export function roleChunk(ids: StreamIds): Record<string, unknown> {
  return { ...chunk(ids, { role: 'assistant', content: '' }, null), x_groq: { id: ids.requestId, seed: 1234567890 } };
}

/** A chunk carrying one piece of content. */
export function contentChunk(ids: StreamIds, text: string): Record<string, unknown> {
  return chunk(ids, { content: text }, null);
}

/** Last chunk: no content, the finish reason, and usage both in `x_groq.usage` and at top level. */
export function finishChunk(
  ids: StreamIds,
  finishReason: string,
  usageObject: Record<string, number>,
): Record<string, unknown> {
  return { ...chunk(ids, {}, finishReason), x_groq: { id: ids.requestId, usage: usageObject }, usage: usageObject };
}

/** A chunk whose `x_groq.error` says why the stream stopped early (the SDK does not throw for it). */
export function xGroqErrorChunk(ids: StreamIds, message: string, finishReason: string | null): Record<string, unknown> {
  return { ...chunk(ids, {}, finishReason), x_groq: { id: ids.requestId, error: message } };
}

/** The non-streamed `chat.completion` body. */
export function completionBody(
  ids: StreamIds,
  text: string,
  usageObject: Record<string, number>,
): Record<string, unknown> {
  return {
    id: ids.completionId,
    object: 'chat.completion',
    created: 1764072000,
    model: ids.modelId,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: 'stop' }],
    usage: usageObject,
    system_fingerprint: 'fp_4c6b7b3d21',
    x_groq: { id: ids.requestId },
  };
}
