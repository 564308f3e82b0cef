import { parseAfterSeq } from '@chatwire/protocol';
import { ChatError } from '../chat-error.js';
import { connectionSignal } from '../http/connection-signal.js';
import type { KitRequest, KitResponse } from '../http/kit-request.js';
import { afterParameter, queryValue } from '../http/query.js';
import { requestPrincipal } from '../http/request-principal.js';
import type { Route } from '../http/route.js';
import { startRunFromRequest } from '../http/start-run.js';
import type { KitContext } from '../kit-context.js';
import { pumpEvents } from '../stream-pump.js';

/**
 * `POST /api/sse/chat` streams a new run as `text/event-stream`; `GET /api/sse/chat/:id` replays and follows a run
 * from `Last-Event-ID` (or `?after=`). Anything refused before the run starts is an ordinary JSON error response.
 */
export function sseRoutes(context: KitContext): Route[] {
  const { engine } = context;
  return [
    {
      method: 'POST',
      path: '/api/sse/chat',
      async handle(request) {
        const { run } = await startRunFromRequest(request, context, 'sse');
        return stream(request, context, run.id, -1);
      },
    },
    {
      method: 'GET',
      path: '/api/sse/chat/:id',
      async handle(request, params) {
        const id = params.id ?? '';
        const header = request.header('last-event-id');
        const fromHeader = header === '' ? undefined : parseAfterSeq(header);
        if (header !== '' && fromHeader === undefined) {
          throw new ChatError('invalid_request', 'Last-Event-ID: must be an event seq');
        }
        const after = fromHeader ?? afterParameter(queryValue(request.query, 'after')) ?? -1;
        await engine.snapshot(id, requestPrincipal(request)); // 404 as JSON before any stream starts
        return stream(request, context, id, after);
      },
    },
  ];
}

function stream(request: KitRequest, context: KitContext, id: string, after: number): KitResponse {
  return {
    status: 200,
    headers: {},
    async stream(sink) {
      const { signal, release } = connectionSignal(request, context.drain);
      context.streams.set(sink, 'sse');
      try {
        await pumpEvents(context.engine.follow(id, after, requestPrincipal(request), signal), sink, context.pump);
      } catch (error) {
        // The run vanished or the store failed mid-stream. Ending the stream without a terminal event tells the client
        // to resume, which then gets a proper JSON error.
        context.logger.warn({ run_id: id, code: ChatError.from(error).code }, 'sse stream ended early');
      } finally {
        release();
        context.streams.delete(sink);
      }
    },
  };
}
