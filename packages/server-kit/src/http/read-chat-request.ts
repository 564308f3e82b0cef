import type { NormalizedChatRequest, RequestLimits } from '@chatwire/protocol';
import { parseChatRequest, parseJson } from '@chatwire/protocol/validation';
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { ChatError } from '../chat-error.js';

/** Options of {@link readChatRequest}. */
export interface ReadChatRequestOptions {
  /** Largest accepted body in bytes. */
  bodyLimitBytes: number;
  limits: RequestLimits;
}

/** Reads, size-checks, decodes and validates a chat request body; every failure is a {@link ChatError}. */
export async function readChatRequest(ctx: Context, options: ReadChatRequestOptions): Promise<NormalizedChatRequest> {
  const text = await readBody(ctx, options.bodyLimitBytes);
  const json = parseJson(text);
  if (!json.ok) throw new ChatError(json.error.code, json.error.message);
  const request = parseChatRequest(json.value, options.limits);
  if (!request.ok) throw new ChatError(request.error.code, request.error.message);
  return request.value;
}

async function readBody(ctx: Context, limit: number): Promise<string> {
  const declared = ctx.get('content-length');
  try {
    return await getRawBody(ctx.req, {
      limit,
      encoding: 'utf8',
      ...(declared && /^\d+$/.test(declared) ? { length: Number(declared) } : {}),
    });
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') {
      // The rest of the body is not read; closing the connection stops the client from sending it.
      ctx.set('Connection', 'close');
      throw new ChatError('payload_too_large', `the body exceeds ${limit} bytes`, { cause: error });
    }
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      throw new ChatError('invalid_request', 'the body must be UTF-8 JSON', { cause: error });
    }
    throw new ChatError('invalid_request', 'the body could not be read', { cause: error });
  }
}
