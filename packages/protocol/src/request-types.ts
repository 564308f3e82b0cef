/** Who said a message. */
export const ROLES = ['system', 'user', 'assistant'] as const;

/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** One turn of a conversation. */
export interface ChatMessage {
  role: Role;
  content: string;
}

/** The request body, the same in every mode (WS: inside a `{"type":"chat", ...}` frame). */
export interface ChatRequest {
  /** One user turn (the original design's shape). Exactly one of `message` and `messages`. */
  message?: string;
  /** A whole conversation. Exactly one of `message` and `messages`. */
  messages?: ChatMessage[];
  /** Model id; the server's default when absent. */
  model?: string;
  /** 0..2. */
  temperature?: number;
  /** 1..the server's cap. */
  max_tokens?: number;
}

/** A validated request: `message` has become `messages`. */
export interface NormalizedChatRequest {
  messages: ChatMessage[];
  model?: string;
  temperature?: number;
  max_tokens?: number;
}

/** Caps a server applies while validating; every field has a default. */
export interface RequestLimits {
  /** Highest accepted `max_tokens` (default 4096). */
  maxTokens?: number;
  /** Most messages in `messages` (default 200). */
  maxMessages?: number;
  /** Longest message `content`, in characters (default 100,000). */
  maxMessageChars?: number;
}

/** Defaults for {@link RequestLimits}. */
export const DEFAULT_REQUEST_LIMITS: Required<RequestLimits> = {
  maxTokens: 4096,
  maxMessages: 200,
  maxMessageChars: 100_000,
};

/** The outcome of validating input: a value or a `code` + readable `message`. */
export type ParseResult<T> =
  { ok: true; value: T } | { ok: false; error: { code: 'invalid_request' | 'invalid_json'; message: string } };
