import type { ChildProcess } from 'node:child_process';

/** A request sent to a child process over the IPC channel; the child answers with the same `id`. */
export interface IpcRequest<T = unknown> {
  id: number;
  type: string;
  payload?: T;
}

/** The answer to an {@link IpcRequest}. */
export interface IpcResponse<T = unknown> {
  id: number;
  ok: boolean;
  value?: T;
  error?: string;
}

/** The parent's side of a child's IPC channel: request/response calls, plus the first `ready` message. */
export interface IpcClient {
  call<T>(type: string, payload?: unknown, timeoutMs?: number): Promise<T>;
}

/** Wraps a forked child's channel; a child that exits fails every pending call. */
export function createIpcClient(child: ChildProcess): IpcClient {
  let next = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on('message', (message: IpcResponse) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(message.error ?? 'child call failed'));
  });
  child.on('exit', (code, signal) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`child exited (${signal ?? code}) during a call`));
    pending.clear();
  });
  return {
    call<T>(type: string, payload?: unknown, timeoutMs = 600_000): Promise<T> {
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${type} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ id, type, payload } satisfies IpcRequest);
      });
    },
  };
}

/** The child's side: answers each request with `handlers[type](payload)`. */
export function serveIpc(handlers: Record<string, (payload: unknown) => unknown>): void {
  process.on('message', (message: IpcRequest) => {
    const handler = handlers[message.type];
    const reply = (response: Omit<IpcResponse, 'id'>) => process.send?.({ id: message.id, ...response });
    if (!handler) return reply({ ok: false, error: `unknown request ${message.type}` });
    Promise.resolve()
      .then(() => handler(message.payload))
      .then(
        (value) => reply({ ok: true, value }),
        (error: unknown) => reply({ ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
  });
  // The parent going away ends the child: nothing is left running after a bench.
  process.on('disconnect', () => process.exit(0));
}
