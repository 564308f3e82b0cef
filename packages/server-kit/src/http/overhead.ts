import type { Context } from 'koa';

interface Stopwatch {
  spent: number;
  since: number | undefined;
}

const KEY = 'chatwireOverhead';

/**
 * Measures the time the kit itself adds to a request (validation, store, encoding), excluding time spent waiting on
 * the model or on a long poll, and reports it as `Server-Timing: chatwire;dur=<ms>`.
 */
export const overhead = {
  /** Starts the clock as the request enters the kit. */
  begin(ctx: Context): void {
    (ctx.state as Record<string, Stopwatch>)[KEY] = { spent: 0, since: performance.now() };
  },
  /** Stops the clock while the request waits on something that is not the kit. */
  pause(ctx: Context): void {
    const watch = (ctx.state as Record<string, Stopwatch | undefined>)[KEY];
    if (watch?.since !== undefined) {
      watch.spent += performance.now() - watch.since;
      watch.since = undefined;
    }
  },
  /** Restarts the clock after a wait. */
  resume(ctx: Context): void {
    const watch = (ctx.state as Record<string, Stopwatch | undefined>)[KEY];
    if (watch && watch.since === undefined) watch.since = performance.now();
  },
  /** Sets the header (on the raw response, so it also works for streams that bypass Koa). */
  report(ctx: Context): void {
    const watch = (ctx.state as Record<string, Stopwatch | undefined>)[KEY];
    if (!watch || ctx.res.headersSent) return;
    const spent = watch.spent + (watch.since === undefined ? 0 : performance.now() - watch.since);
    ctx.res.setHeader('Server-Timing', `chatwire;desc="kit overhead";dur=${spent.toFixed(2)}`);
  },
};
