/** One event on its way to Redis, as the batch append script takes it. */
export interface QueuedAppend {
  id: string;
  seq: number;
  /** The event as JSON. */
  json: string;
  /** Token text to add to the run's `partial` ('' for other events). */
  text: string;
  terminal: boolean;
  /** The run's status after the event. */
  status: string;
  /** Set instead of an event: add this to the run's follower count (the result is the new count). */
  followers?: number;
}

/** Options of {@link createWriteBehind}. */
export interface WriteBehindOptions {
  /** How long an entry added `'window'` may wait for others to join it; 0 sends every event at once. */
  windowMs: number;
  /** How long an entry added `'later'` may wait (default `windowMs`). */
  laterMs?: number;
  /** A batch this large (JSON and text, in UTF-16 units) is sent without waiting out the window. */
  maxBytes: number;
  /**
   * How long an entry added `'lazy'` may wait for a batch to ride with before it goes on its own (default 1000 ms).
   */
  lazyMs?: number;
  /** Writes a batch in one round trip; resolves with one script result per event, in order. */
  send(batch: QueuedAppend[]): Promise<string[]>;
}

/** The write side of the Redis store: appends of every run this process writes, sent together. */
export interface WriteBehind {
  /**
   * Queues `entry` behind the events already waiting and resolves with its script result once the batch that holds
   * it is acknowledged (rejects when that batch failed). `'now'` sends the batch now (start and error events),
   * `'window'` within `windowMs`, `'later'` within `laterMs`, `'lazy'` within `lazyMs`: whichever entry is due first
   * sends the batch, and every entry waiting goes with it.
   */
  add(entry: QueuedAppend, when: 'now' | 'window' | 'later' | 'lazy'): Promise<string>;
  /** Sends whatever waits now; resolves when Redis has answered it. */
  flush(): Promise<void>;
}

interface Waiting {
  entry: QueuedAppend;
  resolve: (result: string) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects the appends of all runs this process writes (and changes to their follower counts) for at most `windowMs`
 * (or `maxBytes`) and sends them as one script call, so one round trip, one script run and one event-loop wake-up serve many tokens of many runs. Each run's
 * events keep their seqs and their order (one queue, one connection, one script that appends them in turn), and each
 * append still resolves only when Redis has it, so the run's readers, its mirror and the driver's error handling see
 * exactly what they saw with one call per event, a few milliseconds later.
 *
 * What waits here when the process dies is lost like a token the model had not sent yet: the run's lease runs out and
 * another instance ends it with `interrupted`, after the last event Redis acknowledged.
 */
export function createWriteBehind(options: WriteBehindOptions): WriteBehind {
  let waiting: Waiting[] = [];
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  // When the timer fires (performance.now() time): the earliest deadline of what waits.
  let dueAt = Number.POSITIVE_INFINITY;
  const delays = {
    window: options.windowMs,
    later: options.laterMs ?? options.windowMs,
    lazy: options.lazyMs ?? 1000,
  };
  let lastSent: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    dueAt = Number.POSITIVE_INFINITY;
    if (waiting.length === 0) return lastSent;
    const batch = waiting;
    waiting = [];
    bytes = 0;
    // Sent on one connection, batches reach Redis in the order they leave here.
    lastSent = options.send(batch.map((item) => item.entry)).then(
      (results) => {
        batch.forEach((item, index) => item.resolve(results[index] ?? 'missing'));
      },
      (error: unknown) => {
        for (const item of batch) item.reject(error);
      },
    );
    return lastSent;
  }

  return {
    add(entry, when) {
      return new Promise<string>((resolve, reject) => {
        waiting.push({ entry, resolve, reject });
        bytes += entry.json.length + entry.text.length;
        const delay = when === 'now' ? 0 : delays[when];
        if (delay <= 0 || bytes >= options.maxBytes) return void flush();
        const due = performance.now() + delay;
        if (due >= dueAt) return;
        if (timer) clearTimeout(timer);
        dueAt = due;
        timer = setTimeout(() => void flush(), delay);
      });
    },
    flush,
  };
}
