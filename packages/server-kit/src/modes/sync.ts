import type { DoneEvent, SyncChatResponse } from '@chatwire/protocol';
import { ChatError } from '../chat-error.js';
import { jsonResponse } from '../http/kit-request.js';
import type { Route } from '../http/route.js';
import { startRunFromRequest } from '../http/start-run.js';
import type { KitContext } from '../kit-context.js';

/** `POST /api/sync/chat`: runs the chat and answers the whole text at once. A client that leaves aborts the run. */
export function syncRoutes(context: KitContext): Route[] {
  const { engine } = context;
  return [
    {
      method: 'POST',
      path: '/api/sync/chat',
      async handle(request) {
        const { signal } = request;
        const { run, principal } = await startRunFromRequest(request, context, 'sync', signal);
        let text = '';
        let done: DoneEvent | undefined;
        request.timing.pause();
        for await (const batch of engine.follow(run.id, -1, principal, signal)) {
          for (const event of batch) {
            if (event.type === 'token') text += event.text;
            else if (event.type === 'done') done = event;
            else if (event.type === 'error') {
              throw new ChatError(event.code, event.message, {
                retryable: event.retryable,
                ...(event.retry_after_ms === undefined ? {} : { retryAfterMs: event.retry_after_ms }),
              });
            }
          }
        }
        request.timing.resume();
        // Only without `done` when the client went away; nobody is left to answer.
        if (!done) return { status: 499, headers: {} };
        const body: SyncChatResponse = {
          id: run.id,
          model: run.model,
          created_at: run.created_at,
          response: text,
          finish_reason: done.finish_reason,
          usage: done.usage,
        };
        return jsonResponse(body);
      },
    },
  ];
}
