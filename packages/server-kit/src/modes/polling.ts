import { isFinalStatus, type AsyncChatAccepted, type RunSnapshot } from '@chatwire/protocol';
import { connectionSignal } from '../http/connection-signal.js';
import { jsonResponse, type KitRequest, type KitResponse } from '../http/kit-request.js';
import { afterParameter, lingerParameter, queryValue, waitParameter } from '../http/query.js';
import { requestPrincipal } from '../http/request-principal.js';
import type { Route } from '../http/route.js';
import { startRunFromRequest } from '../http/start-run.js';
import type { KitContext } from '../kit-context.js';

/**
 * `POST /api/async/chat` (202 + `Location`) and `GET /api/async/status/:task_id` with `?after=SEQ` (the newer events)
 * and `?wait=SECONDS` (long polling).
 */
export function pollingRoutes(context: KitContext): Route[] {
  return [
    {
      method: 'POST',
      path: '/api/async/chat',
      async handle(request) {
        const { run } = await startRunFromRequest(request, context, 'polling');
        // A retried create (same Idempotency-Key) gets the same task, whatever its status by now.
        const body: AsyncChatAccepted = { task_id: run.id, status: 'pending' };
        const location = `${context.basePath}/api/async/status/${run.id}`;
        return jsonResponse(body, 202, { Location: location, 'Retry-After': '1' });
      },
    },
    {
      method: 'GET',
      path: '/api/async/status/:task_id',
      handle: (request, params) => respondSnapshot(request, context, params.task_id ?? ''),
    },
  ];
}

/**
 * Answers a run's snapshot; with `wait`, first holds the request until there is something newer than `after` (or,
 * without `after`, newer than when the request arrived), the run ends, or the wait runs out. While the kit is closing,
 * a held poll holds until its run ends, so its answer is the last one the poller needs from this instance.
 */
export async function respondSnapshot(request: KitRequest, context: KitContext, id: string): Promise<KitResponse> {
  const { engine, drain } = context;
  const principal = requestPrincipal(request);
  const after = afterParameter(queryValue(request.query, 'after'));
  const waitMs = waitParameter(queryValue(request.query, 'wait'), context.maxWaitSeconds);
  const lingerMs = lingerParameter(queryValue(request.query, 'linger'), context.pollLingerMs);
  let snapshot = await engine.snapshot(id, principal, after);
  if (waitMs > 0 && !isFinalStatus(snapshot.status)) {
    const newer = after ?? snapshot.last_seq;
    const until = performance.now() + waitMs;
    const { signal, release } = connectionSignal(request, drain);
    // A streaming run read by polls (a client that switched transports) keeps a reader while a poll waits.
    const releaseReader = snapshot.mode === 'sse' || snapshot.mode === 'ws' ? engine.attachReader(id) : undefined;
    request.timing.pause();
    try {
      while (!isFinalStatus(snapshot.status) && (snapshot.last_seq <= newer || drain.closing) && !signal.aborted) {
        const timeoutMs = until - performance.now();
        if (timeoutMs <= 0) break;
        await engine.waitForEvents(id, Math.max(newer, snapshot.last_seq), { timeoutMs, signal });
        snapshot = await engine.snapshot(id, principal, after);
      }
      // A poller that already has tokens gets the events of the next `lingerMs` in the same answer; the first answer
      // of a run (time to first token) and the terminal event are not held.
      if (lingerMs > 0 && after !== undefined && after >= 1 && !isFinalStatus(snapshot.status) && !signal.aborted) {
        snapshot = await linger(
          request,
          context,
          id,
          after,
          snapshot,
          Math.min(lingerMs, until - performance.now()),
          signal,
        );
      }
    } finally {
      release();
      releaseReader?.();
      request.timing.resume();
    }
  }
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (!isFinalStatus(snapshot.status)) headers['Retry-After'] = '1';
  return jsonResponse(snapshot, 200, headers);
}

/** Waits up to `lingerMs` for more events (reading only the run's state meanwhile), then reads the answer once. */
async function linger(
  request: KitRequest,
  context: KitContext,
  id: string,
  after: number,
  first: RunSnapshot,
  lingerMs: number,
  signal: AbortSignal,
): Promise<RunSnapshot> {
  const { engine } = context;
  const principal = requestPrincipal(request);
  const until = performance.now() + lingerMs;
  let state = first;
  while (!isFinalStatus(state.status) && !signal.aborted) {
    const timeoutMs = until - performance.now();
    if (timeoutMs <= 0) break;
    await engine.waitForEvents(id, state.last_seq, { timeoutMs, signal });
    state = await engine.snapshot(id, principal);
  }
  return state.last_seq === first.last_seq ? first : engine.snapshot(id, principal, after);
}
