import type { StreamingMode } from './transports/auto.js';

/**
 * Where a client keeps what worked (browsers: `sessionStorage`); only `getItem` and `setItem` are used. Declared here
 * rather than as `Pick<Storage, ...>` so Node projects without the DOM type library can use the types.
 */
export interface ModeStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Remembers, per server, the best transport that worked, and when to try a better one again. */
export interface ModeMemory {
  /** The transport to try first. */
  first(): StreamingMode;
  /** `mode` failed and `next` is used instead: start there next time, until the reprobe delay has passed. */
  fellBack(next: StreamingMode): void;
  /** `mode` delivered a whole answer. */
  worked(mode: StreamingMode): void;
}

/** Options of {@link createModeMemory}. */
export interface ModeMemoryOptions {
  /** The server's base URL: what is remembered is about the network path to it. */
  baseUrl: string;
  /** Default: `sessionStorage` where there is one (a browser tab), else this client's memory. */
  storage?: ModeStorage | undefined;
  /** How long a worse transport is kept before the better ones are tried again. */
  reprobeAfterMs: number;
  /** Wall clock in ms (default `Date.now`): the storage outlives the page. */
  now?: () => number;
}

const ORDER: readonly StreamingMode[] = ['ws', 'sse', 'polling'];

/** Creates a {@link ModeMemory}; storage failures (quota, privacy modes) are ignored. */
export function createModeMemory(options: ModeMemoryOptions): ModeMemory {
  const key = `chatwire.mode:${options.baseUrl.replace(/\/+$/, '')}`;
  const now = options.now ?? Date.now;
  const storage = options.storage ?? sessionStorageOrMemory();
  const read = (): { mode: StreamingMode; at: number } | undefined => {
    try {
      const value = JSON.parse(storage.getItem(key) ?? 'null') as { mode?: unknown; at?: unknown } | null;
      if (ORDER.includes(value?.mode as StreamingMode) && typeof value?.at === 'number') {
        return { mode: value.mode as StreamingMode, at: value.at };
      }
    } catch {
      // Unreadable: start from the best transport.
    }
    return undefined;
  };
  const write = (mode: StreamingMode) => {
    try {
      storage.setItem(key, JSON.stringify({ mode, at: now() }));
    } catch {
      // Storage full or forbidden: nothing is remembered, every chat starts from WebSocket.
    }
  };
  return {
    first() {
      const known = read();
      if (!known || known.mode === 'ws') return 'ws';
      return now() - known.at >= options.reprobeAfterMs ? 'ws' : known.mode;
    },
    fellBack: write,
    worked(mode) {
      // A worse transport that keeps working keeps its date, so the better ones are retried on schedule.
      const known = read();
      if (!known || ORDER.indexOf(mode) < ORDER.indexOf(known.mode)) write(mode);
    },
  };
}

function sessionStorageOrMemory(): ModeStorage {
  try {
    const storage = (globalThis as { sessionStorage?: ModeStorage }).sessionStorage;
    if (storage) return storage;
  } catch {
    // Access denied (sandboxed frames): fall through to memory.
  }
  const values = new Map<string, string>();
  return { getItem: (name) => values.get(name) ?? null, setItem: (name, value) => void values.set(name, value) };
}
