import type { Drain } from '../drain.js';
import type { KitRequest } from './kit-request.js';

/**
 * The request's signal, made to abort also with `until` (a closing kit's drain), so a follow or wait that would
 * outlive the server ends while the connection is still open. `release` stops listening to `until` once the response
 * is done. The request's own signal is aborted rather than a second one derived from it: a held stream keeps one
 * signal, not two (about 900 bytes each once listened to).
 */
export function connectionSignal(
  request: Pick<KitRequest, 'signal' | 'abort'>,
  until: Pick<Drain, 'onAbort'>,
): { signal: AbortSignal; release(): void } {
  return { signal: request.signal, release: until.onAbort(() => request.abort()) };
}
