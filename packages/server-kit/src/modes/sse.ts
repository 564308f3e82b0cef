import { parseAfterSeq } from '@chatwire/protocol';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { ChatError } from '../chat-error.js';
import { connectionSignal } from '../http/connection-signal.js';
import { overhead } from '../http/overhead.js';
import { afterParameter } from '../http/query.js';
import { requestPrincipal } from '../http/request-principal.js';
import { startRunFromRequest } from '../http/start-run.js';
import { pumpEvents } from '../stream-pump.js';
import { createSseWriter } from '../http/sse-writer.js';
import type { KitContext } from '../kit-context.js';

/**
 * `POST /api/sse/chat` streams a new run as `text/event-stream`; `GET /api/sse/chat/:id` replays and follows a run
 * from `Last-Event-ID` (or `?after=`). Anything refused before the run starts is an ordinary JSON error response.
 */
export function registerSseMode(router: Router, context: KitContext): void {
  const { engine } = context;
  router.post('/api/sse/chat', async (ctx) => {
    const { run } = await startRunFromRequest(ctx, context, 'sse');
    await stream(ctx, context, run.id, -1);
  });
  router.get('/api/sse/chat/:id', async (ctx) => {
    const id = ctx.params.id ?? '';
    const header = ctx.get('last-event-id');
    const fromHeader = header === '' ? undefined : parseAfterSeq(header);
    if (header !== '' && fromHeader === undefined) {
      throw new ChatError('invalid_request', 'Last-Event-ID: must be an event seq');
    }
    const after = fromHeader ?? afterParameter(ctx.query.after) ?? -1;
    await engine.snapshot(id, requestPrincipal(ctx)); // 404 as JSON before any stream starts
    await stream(ctx, context, id, after);
  });
}

async function stream(ctx: Context, context: KitContext, id: string, after: number): Promise<void> {
  const signal = connectionSignal(ctx, context.drain.signal);
  overhead.report(ctx);
  // Koa must not touch the response any more: the writer owns it, with its backpressure signal.
  ctx.respond = false;
  const writer = createSseWriter(ctx.res, {
    heartbeatMs: context.sseHeartbeatMs,
    highWaterBytes: context.highWaterBytes,
  });
  context.streams.set(writer, 'sse');
  try {
    await pumpEvents(context.engine.follow(id, after, requestPrincipal(ctx), signal), writer, context.pump);
  } catch (error) {
    // The run vanished or the store failed mid-stream. Ending the stream without a terminal event tells the client
    // to resume, which then gets a proper JSON error.
    context.logger.warn({ run_id: id, code: ChatError.from(error).code }, 'sse stream ended early');
  } finally {
    context.streams.delete(writer);
    writer.end();
  }
}
