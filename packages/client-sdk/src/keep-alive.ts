import { unrefTimer } from './retry.js';

/** Options of {@link createKeepAlive}. */
export interface KeepAliveOptions {
  intervalMs: number;
  /** Sends an application ping (browsers cannot send protocol-level ping frames). */
  ping(): void;
  /** Nothing arrived for a whole interval after a ping: the link is dead even if it never said so. */
  dead(): void;
}

/** Watches one socket: pings every interval and calls `dead` when a ping got nothing back in the next interval. */
export interface KeepAlive {
  /** Something arrived: the link is alive. */
  heard(): void;
  stop(): void;
}

/** Starts the keep-alive of an open socket. */
export function createKeepAlive(options: KeepAliveOptions): KeepAlive {
  let waiting = false;
  const timer = setInterval(() => {
    if (waiting) {
      clearInterval(timer);
      options.dead();
      return;
    }
    waiting = true;
    options.ping();
  }, options.intervalMs);
  unrefTimer(timer);
  return {
    heard: () => void (waiting = false),
    stop: () => clearInterval(timer),
  };
}
