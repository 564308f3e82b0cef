import type { SyncChatResponse } from '@chatwire/protocol';
import type Router from '@koa/router';
import { ChatError } from '../chat-error.js';
import { connectionSignal } from '../http/connection-signal.js';
import { readChatRequest } from '../http/read-chat-request.js';
import type { KitContext } from '../kit-context.js';

/** `POST /api/sync/chat`: runs the chat and answers the whole text at once. A client that leaves aborts the run. */
export function registerSyncMode(router: Router, context: KitContext): void {
  const { engine } = context;
  router.post('/api/sync/chat', async (ctx) => {
    const request = await readChatRequest(ctx, context);
    const signal = connectionSignal(ctx);
    const run = await engine.start(request, { mode: 'sync', signal });
    let text = '';
    for await (const event of engine.follow(run.id, -1, signal)) {
      switch (event.type) {
        case 'start':
          break;
        case 'token':
          text += event.text;
          break;
        case 'done': {
          const body: SyncChatResponse = {
            id: run.id,
            model: run.model,
            response: text,
            finish_reason: event.finish_reason,
            usage: event.usage,
          };
          ctx.body = body;
          return;
        }
        case 'error':
          throw new ChatError(event.code, event.message, {
            retryable: event.retryable,
            ...(event.retry_after_ms === undefined ? {} : { retryAfterMs: event.retry_after_ms }),
          });
        default: {
          const unreachable: never = event;
          throw new ChatError('internal', `unexpected event ${String(unreachable)}`);
        }
      }
    }
    // Only reached when the client went away; nobody is left to answer.
    ctx.status = 499;
  });
}
