import type { StatsRecorder } from './chat-stats.js';
import type { HttpClient } from './http-client.js';

/** What `POST /api/runs/:id/cancel` answers. */
export interface CancelRunResponse {
  id: string;
  /** False when the run had already ended. */
  cancelled: boolean;
  status: string;
}

/**
 * Cancels a run started in any mode with `POST /api/runs/:id/cancel`; true when this request stopped it, false when it
 * had already ended. Throws `not_found` for an unknown run.
 */
export async function cancelRun(
  http: HttpClient,
  runId: string,
  options: { signal?: AbortSignal; stats?: StatsRecorder } = {},
): Promise<boolean> {
  const response = await http.send(`/api/runs/${encodeURIComponent(runId)}/cancel`, { method: 'POST', ...options });
  const body = await http.readJson<CancelRunResponse>(response, options.stats);
  return body?.cancelled === true;
}
