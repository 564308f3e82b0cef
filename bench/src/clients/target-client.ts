import type { BenchRequest } from '../prompts.js';
import type { ChatTimer } from './chat-timer.js';

/** One virtual user: chats one after another on its own connection (or the shared pool). */
export interface ClientSession {
  /** Runs one chat to its end, reporting token arrivals to `timer`; resolves with the answer's token count. */
  chat(request: BenchRequest, timer: ChatTimer, signal: AbortSignal): Promise<number>;
  close(): Promise<void>;
}

/** A target's client side for one scenario. */
export interface TargetClient {
  session(): ClientSession;
  /** Counters the client keeps itself (e.g. the SDK's own request count), added to the scenario's result. */
  counters?(): Record<string, number>;
  close(): Promise<void>;
}

/** Options every client gets. */
export interface TargetClientOptions {
  /** The server's base URL (none for the in-process provider). */
  url: string;
  /** Virtual users at once: HTTP pools are sized for it. */
  concurrency: number;
}

/** Rejects with the signal's reason when it aborts. */
export function abortable(signal: AbortSignal, onAbort: () => void): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => {
      onAbort();
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal.aborted) return fail();
    signal.addEventListener('abort', fail, { once: true });
  });
}
