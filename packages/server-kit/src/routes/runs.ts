import { isFinalStatus, type RunSnapshot } from '@chatwire/protocol';
import { jsonResponse } from '../http/kit-request.js';
import { requestPrincipal } from '../http/request-principal.js';
import type { Route } from '../http/route.js';
import type { KitContext } from '../kit-context.js';
import type { Principal } from '../principal.js';
import { respondSnapshot } from '../modes/polling.js';
import type { RunEngine } from '../run-engine.js';

/** `GET /api/runs/:id` (the async status snapshot, same `after`/`wait`) and `POST /api/runs/:id/cancel`. */
export function runRoutes(context: KitContext): Route[] {
  const { engine } = context;
  return [
    {
      method: 'GET',
      path: '/api/runs/:id',
      handle: (request, params) => respondSnapshot(request, context, params.id ?? ''),
    },
    {
      method: 'POST',
      path: '/api/runs/:id/cancel',
      async handle(request, params) {
        const id = params.id ?? '';
        const principal = requestPrincipal(request);
        const cancelled = await engine.cancel(id, principal);
        // The run's writer appends the terminal event right after aborting upstream; answer with that settled state.
        const snapshot = cancelled ? await settled(engine, id, principal, 2000) : await engine.snapshot(id, principal);
        return jsonResponse({ id, cancelled, status: snapshot.status });
      },
    },
  ];
}

async function settled(engine: RunEngine, id: string, principal: Principal, timeoutMs: number): Promise<RunSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let snapshot = await engine.snapshot(id, principal);
  while (!isFinalStatus(snapshot.status) && Date.now() < deadline) {
    await engine.waitForEvents(id, snapshot.last_seq, { timeoutMs: deadline - Date.now() });
    snapshot = await engine.snapshot(id, principal);
  }
  return snapshot;
}
