import { onAbort } from '../drain.js';

/**
 * A signal that aborts with the request's connection (the client went away) or with `until` (a closing kit's drain
 * signal), so a follow or wait that would outlive the server ends while the connection is still open. `release`
 * stops listening to `until` once the response is done.
 */
export function connectionSignal(
  connection: AbortSignal,
  until: AbortSignal,
): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const unlinkConnection = onAbort(connection, () => controller.abort());
  const unlinkUntil = onAbort(until, () => controller.abort());
  return {
    signal: controller.signal,
    release() {
      unlinkConnection();
      unlinkUntil();
    },
  };
}
