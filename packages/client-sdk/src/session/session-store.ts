import type { SessionMessage } from './chat-session.js';

/** Where a session is saved: `sessionStorage` in browsers, or anything with the same three methods. */
export interface SessionStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** What a session keeps across reloads. */
export interface SessionStore {
  load(): SessionMessage[];
  save(messages: readonly SessionMessage[]): void;
  remove(): void;
}

const VERSION = 1;

/** A {@link SessionStore} under `chatwire.session:<id>`; unreadable or foreign data reads as an empty conversation. */
export function createSessionStore(storage: SessionStorageLike | undefined, id: string): SessionStore {
  const key = `chatwire.session:${id}`;
  return {
    load() {
      if (!storage) return [];
      try {
        const saved = JSON.parse(storage.getItem(key) ?? 'null') as { v?: unknown; messages?: unknown } | null;
        if (saved?.v !== VERSION || !Array.isArray(saved.messages)) return [];
        return saved.messages.filter(isMessage);
      } catch {
        return [];
      }
    },
    save(messages) {
      try {
        storage?.setItem(key, JSON.stringify({ v: VERSION, messages }));
      } catch {
        // Storage full or forbidden: the conversation lives on in memory only.
      }
    },
    remove() {
      try {
        storage?.removeItem(key);
      } catch {
        // Nothing to do.
      }
    },
  };
}

/** The default storage: the tab's `sessionStorage` in browsers, none elsewhere. */
export function defaultSessionStorage(): SessionStorageLike | undefined {
  try {
    return (globalThis as { sessionStorage?: SessionStorageLike }).sessionStorage;
  } catch {
    return undefined;
  }
}

function isMessage(value: unknown): value is SessionMessage {
  const message = value as Partial<SessionMessage> | null;
  return (
    typeof message?.id === 'string' &&
    (message.role === 'user' || message.role === 'assistant') &&
    typeof message.content === 'string' &&
    ['streaming', 'done', 'error', 'stopped'].includes(message.status as string)
  );
}
