import type { NormalizedChatRequest, RequestLimits } from '@chatwire/protocol';
import { parseChatRequest, parseJson } from '@chatwire/protocol/validation';
import { ChatError } from '../chat-error.js';
import type { KitRequest } from './kit-request.js';

/** Options of {@link readChatRequest}. */
export interface ReadChatRequestOptions {
  /** Largest accepted body in bytes. */
  bodyLimitBytes: number;
  limits: RequestLimits;
}

/** Reads, size-checks, decodes and validates a chat request body; every failure is a {@link ChatError}. */
export async function readChatRequest(
  request: KitRequest,
  options: ReadChatRequestOptions,
): Promise<NormalizedChatRequest> {
  const json = parseJson(await request.text(options.bodyLimitBytes));
  if (!json.ok) throw new ChatError(json.error.code, json.error.message);
  const chat = parseChatRequest(json.value, options.limits);
  if (!chat.ok) throw new ChatError(chat.error.code, chat.error.message);
  return chat.value;
}
