import type { DoneEvent, ErrorEvent, RunEvent, RunStatus } from '@chatwire/protocol';
import { statusAfter } from '../run-status.js';
import type { RunInfo, RunState } from '../store.js';
import { waitForWake } from './waiters.js';

/** What this process knows of a run it writes: everything Redis acknowledged, in the same order. */
export interface Mirror {
  /** The run's info as Redis holds it (JSON), to rebuild the run after Redis lost it. */
  info: string;
  parsed: RunInfo;
  status: RunStatus;
  lastSeq: number;
  text: string;
  /** The events appended since the claim (seq `lastSeq - events.length + 1` to `lastSeq`). */
  events: RunEvent[];
  /** Highest seq this process has sent to Redis, acknowledged or not. */
  sentSeq: number;
  /**
   * Redis may hold what this process did not write (another instance ended the run) or have lost what it did (a
   * failed write): the mirror is no longer the truth.
   */
  distrusted: boolean;
  /** Local readers waiting for the next event. */
  waiters: Set<() => void>;
  /** This process has changed the run's follower count. */
  counted?: boolean;
  /** When (performance.now()) Redis acknowledged the run's terminal event; the mirror is kept a moment after it. */
  endedAt?: number;
  terminal?: DoneEvent | ErrorEvent;
}

/**
 * The runs this process writes, mirrored, so that their readers on this process (the SSE or WS stream that started the
 * run, a poll that lands here) are answered without a Redis round trip: reads, state and waits come from the mirror,
 * and an append wakes local waiters directly. Any doubt (Redis lost the run, or another instance wrote it because it
 * took this one for dead) sends the run's readers back to Redis for good.
 */
export interface RunMirrors {
  /**
   * Starts mirroring a run this process just claimed; `earlier` is an event of the run this process appended before
   * the claim (its `start`), mirrored too when it is the newest one.
   */
  claim(
    id: string,
    claimed: { info: string; lastSeq: number; text: string; status: RunStatus },
    earlier?: RunEvent,
  ): void;
  /** `seq` is about to be sent to Redis. */
  sending(id: string, seq: number): void;
  /** Redis acknowledged `event`; a terminal one ends the mirror. */
  appended(event: RunEvent, text: string): void;
  /** Whether the run is mirrored and written here (not ended), trusted or not. */
  has(id: string): boolean;
  /** The mirror of `id` to rebuild a lost run from. */
  get(id: string): Mirror | undefined;
  forget(id: string): void;
  /** Redis showed seq `seq` of run `id`: not sent by this process means written elsewhere. */
  seen(id: string, seq: number): void;
  /** A write of run `id` failed: its readers go to Redis (and see the outage) from now on. */
  distrust(id: string): void;
  /** This process was taken for dead (its lease ran out): other instances may have ended any of its runs. */
  distrustAll(): void;
  /** The state, when the mirror can be trusted. */
  state(id: string): RunState | undefined;
  /** Events after `after`, when the mirror can be trusted and holds all of them. */
  read(id: string, after: number): RunEvent[] | undefined;
  /**
   * Waits for an event after `after` when the mirror can be trusted (resolves at once if there is one); answers false
   * when it cannot, and the caller asks Redis.
   */
  wait(id: string, after: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
}

/**
 * Creates the mirrors of one store, capped like the streams at `maxEvents` events per run. A run's mirror outlives its
 * terminal event by `keepEndedMs` (an ended run no longer changes): its readers here, woken by that event, read the
 * end from the mirror instead of Redis.
 */
export function createRunMirrors(maxEvents: number, keepEndedMs = 0): RunMirrors {
  const mirrors = new Map<string, Mirror>();
  // Ended mirrors in the order they ended, dropped once older than keepEndedMs.
  const ended: Array<{ id: string; mirror: Mirror }> = [];
  const wakeAll = (mirror: Mirror) => {
    for (const wake of [...mirror.waiters]) wake();
  };
  const sweep = (now: number) => {
    let stale = 0;
    while (stale < ended.length && now - (ended[stale]?.mirror.endedAt ?? now) >= keepEndedMs) {
      const { id, mirror } = ended[stale] as { id: string; mirror: Mirror };
      if (mirrors.get(id) === mirror) mirrors.delete(id);
      stale++;
    }
    if (stale > 0) ended.splice(0, stale);
  };
  const usable = (id: string) => {
    const mirror = mirrors.get(id);
    if (mirror?.endedAt !== undefined && performance.now() - mirror.endedAt >= keepEndedMs) {
      sweep(performance.now());
      return undefined;
    }
    return mirror && !mirror.distrusted ? mirror : undefined;
  };
  const written = (id: string) => {
    const mirror = mirrors.get(id);
    return mirror && mirror.endedAt === undefined ? mirror : undefined;
  };
  const distrust = (mirror: Mirror | undefined) => {
    if (!mirror) return;
    mirror.distrusted = true;
    wakeAll(mirror);
  };

  return {
    claim(id, claimed, earlier) {
      mirrors.set(id, {
        ...claimed,
        parsed: JSON.parse(claimed.info) as RunInfo,
        events: earlier?.seq === claimed.lastSeq ? [earlier] : [],
        sentSeq: claimed.lastSeq,
        distrusted: false,
        waiters: new Set(),
      });
    },
    sending(id, seq) {
      const mirror = written(id);
      if (mirror) mirror.sentSeq = Math.max(mirror.sentSeq, seq);
    },
    appended(event, text) {
      const mirror = written(event.id);
      if (!mirror) return;
      mirror.lastSeq = event.seq;
      mirror.status = statusAfter(mirror.status, event);
      mirror.text += text;
      mirror.events.push(event);
      if (mirror.events.length > maxEvents) mirror.events.splice(0, mirror.events.length - maxEvents);
      // After a terminal event the run no longer changes: the woken readers read its end here, for a moment.
      if (event.type === 'done' || event.type === 'error') {
        const now = performance.now();
        sweep(now);
        if (keepEndedMs > 0 && !mirror.distrusted) {
          mirror.endedAt = now;
          mirror.terminal = event;
          ended.push({ id: event.id, mirror });
        } else mirrors.delete(event.id);
      }
      wakeAll(mirror);
    },
    has: (id) => written(id) !== undefined,
    get: (id) => written(id),
    forget(id) {
      const mirror = mirrors.get(id);
      mirrors.delete(id);
      if (mirror) wakeAll(mirror);
    },
    seen(id, seq) {
      const mirror = written(id);
      if (mirror && seq > mirror.sentSeq) distrust(mirror);
    },
    distrust: (id) => distrust(written(id)),
    distrustAll() {
      for (const mirror of mirrors.values()) distrust(mirror);
    },
    state(id) {
      const mirror = usable(id);
      if (!mirror) return undefined;
      const state: RunState = {
        info: mirror.parsed,
        status: mirror.status,
        partial: mirror.text,
        last_seq: mirror.lastSeq,
      };
      if (mirror.terminal) state.terminal = mirror.terminal;
      return state;
    },
    read(id, after) {
      const mirror = usable(id);
      if (!mirror) return undefined;
      const first = mirror.lastSeq - mirror.events.length + 1;
      return after + 1 < first ? undefined : mirror.events.slice(after + 1 - first);
    },
    async wait(id, after, timeoutMs, signal) {
      const mirror = usable(id);
      if (!mirror) return false;
      // An ended run has nothing more to wait for.
      if (mirror.lastSeq > after || mirror.endedAt !== undefined || signal?.aborted || timeoutMs <= 0) return true;
      await waitForWake(mirror.waiters, timeoutMs, signal);
      return true;
    },
  };
}
