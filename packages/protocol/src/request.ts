import { z } from 'zod';
import {
  DEFAULT_REQUEST_LIMITS,
  ROLES,
  type NormalizedChatRequest,
  type ParseResult,
  type RequestLimits,
} from './request-types.js';

function requestSchema(limits: Required<RequestLimits>) {
  const content = z
    .string({ error: 'must be a string' })
    .max(limits.maxMessageChars, { error: `must be at most ${limits.maxMessageChars} characters` });
  const message = z.object({
    role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
    content,
  });
  return z.object({
    message: content.min(1, { error: 'must not be empty' }).optional(),
    messages: z
      .array(message, { error: 'must be an array of {role, content}' })
      .min(1, { error: 'must hold at least one message' })
      .max(limits.maxMessages, { error: `must hold at most ${limits.maxMessages} messages` })
      .optional(),
    model: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).optional(),
    temperature: z
      .number({ error: 'must be a number' })
      .min(0, { error: 'must be between 0 and 2' })
      .max(2, { error: 'must be between 0 and 2' })
      .optional(),
    max_tokens: z
      .number({ error: 'must be an integer' })
      .int({ error: 'must be an integer' })
      .min(1, { error: `must be between 1 and ${limits.maxTokens}` })
      .max(limits.maxTokens, { error: `must be between 1 and ${limits.maxTokens}` })
      .optional(),
  });
}

const schemaCache = new Map<string, ReturnType<typeof requestSchema>>();

/** The zod schema of a chat request under `limits` (for OpenAPI generation and custom validation). */
export function chatRequestSchema(limits: RequestLimits = {}) {
  const resolved = { ...DEFAULT_REQUEST_LIMITS, ...limits };
  const key = `${resolved.maxTokens}/${resolved.maxMessages}/${resolved.maxMessageChars}`;
  let schema = schemaCache.get(key);
  if (!schema) {
    schema = requestSchema(resolved);
    schemaCache.set(key, schema);
  }
  return schema;
}

/**
 * Validates a decoded request body and normalises `message` into `messages`.
 *
 * @example
 * const result = parseChatRequest({ message: 'Hi' });
 * if (result.ok) result.value.messages; // [{ role: 'user', content: 'Hi' }]
 */
export function parseChatRequest(input: unknown, limits: RequestLimits = {}): ParseResult<NormalizedChatRequest> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return invalid('the body must be a JSON object');
  }
  const parsed = chatRequestSchema(limits).safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
    return invalid(`${where}: ${issue?.message ?? 'is invalid'}`);
  }
  const { message, messages, model, temperature, max_tokens } = parsed.data;
  if ((message === undefined) === (messages === undefined)) {
    return invalid('exactly one of "message" and "messages" is required');
  }
  const value: NormalizedChatRequest = { messages: messages ?? [{ role: 'user', content: message ?? '' }] };
  if (model !== undefined) value.model = model;
  if (temperature !== undefined) value.temperature = temperature;
  if (max_tokens !== undefined) value.max_tokens = max_tokens;
  return { ok: true, value };
}

/** Parses JSON text, answering `invalid_json` instead of throwing. */
export function parseJson(text: string): ParseResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, error: { code: 'invalid_json', message: 'the body is not valid JSON' } };
  }
}

function invalid(message: string): ParseResult<never> {
  return { ok: false, error: { code: 'invalid_request', message } };
}
