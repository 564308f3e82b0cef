/**
 * Waits until something calls the function it adds to `waiters` (a new event), `timeoutMs` passes or `signal` aborts,
 * whichever comes first; it always resolves, and always leaves `waiters` as it found it.
 */
export function waitForWake(waiters: Set<() => void>, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      waiters.delete(finish);
      resolve();
    };
    const timer = setTimeout(finish, timeoutMs);
    signal?.addEventListener('abort', finish, { once: true });
    waiters.add(finish);
  });
}
