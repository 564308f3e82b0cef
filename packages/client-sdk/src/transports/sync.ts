import type { RunEvent, SyncChatResponse } from '@chatwire/protocol';
import { ChatError } from '../chat-error.js';
import type { HttpClient } from '../http-client.js';
import type { Transport } from '../transport.js';

/** Options of {@link createSyncTransport}. */
export interface SyncTransportOptions {
  http: HttpClient;
}

/**
 * `sync`: one `POST /api/sync/chat` answered with the whole text. It is described as `start`, one `token` holding the
 * whole answer, then `done`; `start.created_at` is the server's (or, from an older server, the client's clock when the
 * request was sent). Cancelling aborts the request, and the server stops a run whose client has left.
 */
export function createSyncTransport(options: SyncTransportOptions): Transport {
  const { http } = options;
  return {
    mode: 'sync',
    async *start(request, context) {
      const sentAt = new Date().toISOString();
      const headers: Record<string, string> = {};
      if (context.idempotencyKey !== undefined) headers['idempotency-key'] = context.idempotencyKey;
      const response = await http.send('/api/sync/chat', {
        method: 'POST',
        body: request,
        headers,
        signal: context.signal,
        stats: context.stats,
      });
      const body = await http.readJson<SyncChatResponse>(response, context.stats);
      if (typeof body?.id !== 'string' || typeof body.response !== 'string') {
        throw new ChatError('bad_response', `${http.origin} answered a sync chat without an id and response`);
      }
      const { id } = body;
      const createdAt = typeof body.created_at === 'string' ? body.created_at : sentAt;
      const events: RunEvent[] = [{ id, seq: 0, type: 'start', model: body.model, created_at: createdAt }];
      // The server never sends an empty token; an empty answer is start + done here too.
      if (body.response !== '') events.push({ id, seq: 1, type: 'token', text: body.response });
      events.push({ id, seq: events.length, type: 'done', finish_reason: body.finish_reason, usage: body.usage });
      yield* events;
    },
  };
}
