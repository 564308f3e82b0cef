import type { RunEvent, RunStatus } from '@chatwire/protocol';
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
}

/**
 * The runs this process writes, mirrored, so that their readers on this process (the SSE or WS stream that started the
 * run, a poll that lands here) are answered without a Redis round trip: reads, state and waits come from the mirror,
 * and an append wakes local waiters directly. Any doubt (Redis lost the run, or another instance wrote it because it
 * took this one for dead) sends the run's readers back to Redis for good.
 */
export interface RunMirrors {
  /** Starts mirroring a run this process just claimed. */
  claim(id: string, claimed: { info: string; lastSeq: number; text: string; status: RunStatus }): void;
  /** `seq` is about to be sent to Redis. */
  sending(id: string, seq: number): void;
  /** Redis acknowledged `event`; a terminal one ends the mirror. */
  appended(event: RunEvent, text: string): void;
  /** Whether the run is mirrored (and so written) here, trusted or not. */
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

/** Creates the mirrors of one store, capped like the streams at `maxEvents` events per run. */
export function createRunMirrors(maxEvents: number): RunMirrors {
  const mirrors = new Map<string, Mirror>();
  const wakeAll = (mirror: Mirror) => {
    for (const wake of [...mirror.waiters]) wake();
  };
  const usable = (id: string) => {
    const mirror = mirrors.get(id);
    return mirror && !mirror.distrusted ? mirror : undefined;
  };
  const distrust = (mirror: Mirror | undefined) => {
    if (!mirror) return;
    mirror.distrusted = true;
    wakeAll(mirror);
  };

  return {
    claim(id, claimed) {
      mirrors.set(id, {
        ...claimed,
        parsed: JSON.parse(claimed.info) as RunInfo,
        events: [],
        sentSeq: claimed.lastSeq,
        distrusted: false,
        waiters: new Set(),
      });
    },
    sending(id, seq) {
      const mirror = mirrors.get(id);
      if (mirror) mirror.sentSeq = Math.max(mirror.sentSeq, seq);
    },
    appended(event, text) {
      const mirror = mirrors.get(event.id);
      if (!mirror) return;
      mirror.lastSeq = event.seq;
      mirror.status = statusAfter(mirror.status, event);
      mirror.text += text;
      mirror.events.push(event);
      if (mirror.events.length > maxEvents) mirror.events.splice(0, mirror.events.length - maxEvents);
      // After a terminal event the run is Redis's alone; the woken readers find it there.
      if (event.type === 'done' || event.type === 'error') mirrors.delete(event.id);
      wakeAll(mirror);
    },
    has: (id) => mirrors.has(id),
    get: (id) => mirrors.get(id),
    forget(id) {
      const mirror = mirrors.get(id);
      mirrors.delete(id);
      if (mirror) wakeAll(mirror);
    },
    seen(id, seq) {
      const mirror = mirrors.get(id);
      if (mirror && seq > mirror.sentSeq) distrust(mirror);
    },
    distrust: (id) => distrust(mirrors.get(id)),
    distrustAll() {
      for (const mirror of mirrors.values()) distrust(mirror);
    },
    state(id) {
      const mirror = usable(id);
      if (!mirror) return undefined;
      return { info: mirror.parsed, status: mirror.status, partial: mirror.text, last_seq: mirror.lastSeq };
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
      if (mirror.lastSeq > after || signal?.aborted || timeoutMs <= 0) return true;
      await waitForWake(mirror.waiters, timeoutMs, signal);
      return true;
    },
  };
}
