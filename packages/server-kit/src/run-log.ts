import type { Logger } from './logger.js';
import type { RunObserver } from './run-engine.js';

/**
 * One log line per run, when it ends: id, mode, model, outcome, time to first token and token count. Message
 * contents and keys are never logged; the owner is logged as its principal id (a hash for API keys).
 */
export function createRunLogObserver(logger: Logger): RunObserver {
  return {
    runEnded({ info, terminal, tokens, firstTokenMs, durationMs }) {
      logger.info(
        {
          run_id: info.id,
          mode: info.mode,
          model: info.model,
          owner: info.owner,
          outcome: terminal.type === 'done' ? 'completed' : terminal.code,
          finish_reason: terminal.type === 'done' ? terminal.finish_reason : undefined,
          ttft_ms: firstTokenMs === undefined ? undefined : Math.round(firstTokenMs),
          duration_ms: Math.round(durationMs),
          tokens,
          usage: terminal.type === 'done' ? terminal.usage : undefined,
        },
        'run ended',
      );
    },
  };
}

/** Calls every observer's hooks in turn. */
export function combineObservers(...observers: Array<RunObserver | undefined>): RunObserver {
  const present = observers.filter((observer): observer is RunObserver => observer !== undefined);
  return {
    runStarted: (info) => present.forEach((observer) => observer.runStarted?.(info)),
    firstToken: (info, milliseconds) => present.forEach((observer) => observer.firstToken?.(info, milliseconds)),
    runEnded: (summary) => present.forEach((observer) => observer.runEnded?.(summary)),
  };
}
