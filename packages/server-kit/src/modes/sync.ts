import type { DoneEvent, SyncChatResponse } from '@chatwire/protocol';
import type Router from '@koa/router';
import { ChatError } from '../chat-error.js';
import { connectionSignal } from '../http/connection-signal.js';
import { overhead } from '../http/overhead.js';
import { startRunFromRequest } from '../http/start-run.js';
import type { KitContext } from '../kit-context.js';

/** `POST /api/sync/chat`: runs the chat and answers the whole text at once. A client that leaves aborts the run. */
export function registerSyncMode(router: Router, context: KitContext): void {
  const { engine } = context;
  router.post('/api/sync/chat', async (ctx) => {
    const signal = connectionSignal(ctx);
    const { run, principal } = await startRunFromRequest(ctx, context, 'sync', signal);
    let text = '';
    let done: DoneEvent | undefined;
    overhead.pause(ctx);
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
    overhead.resume(ctx);
    if (!done) {
      // Only reached when the client went away; nobody is left to answer.
      ctx.status = 499;
      return;
    }
    const body: SyncChatResponse = {
      id: run.id,
      model: run.model,
      created_at: run.created_at,
      response: text,
      finish_reason: done.finish_reason,
      usage: done.usage,
    };
    ctx.body = body;
    overhead.report(ctx);
  });
}
