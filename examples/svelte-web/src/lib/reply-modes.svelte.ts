import type { ChatMode } from '@chatwire/client-sdk';
import type { SessionMessage } from '@chatwire/client-sdk/session';
import { SvelteMap } from 'svelte/reactivity';
import { CHAT_MODES } from './modes';

const STORAGE_ITEM = 'chatwire.chat.modes';

/**
 * The mode each reply of the chat was asked in. The session records which transport delivered a reply (its stats),
 * not which tab it was sent from, and a reply is tagged with both (`Auto → WebSocket`, or `WebSocket`). Kept next to
 * the session's conversation in the tab's sessionStorage, so a reply restored after a reload keeps its tag and the
 * chat opens again on the tab of its last reply.
 */
export class ReplyModes {
  readonly #modes = new SvelteMap<string, ChatMode>(load());

  /** The mode reply `id` was asked in. */
  get(id: string): ChatMode | undefined {
    return this.#modes.get(id);
  }

  /** The mode of the newest reply recorded (`undefined`: none), the tab to open again after a reload. */
  lastMode(): ChatMode | undefined {
    return [...this.#modes.values()].at(-1);
  }

  /** Gives the replies of `messages` not seen yet the mode `mode` (what was asked now), and forgets the others. */
  record(messages: readonly SessionMessage[], mode: ChatMode): void {
    let changed = false;
    const ids = new Set<string>();
    for (const message of messages) {
      if (message.role !== 'assistant') continue;
      ids.add(message.id);
      if (!this.#modes.has(message.id)) {
        this.#modes.set(message.id, mode);
        changed = true;
      }
    }
    for (const id of this.#modes.keys()) {
      if (ids.has(id)) continue;
      this.#modes.delete(id);
      changed = true;
    }
    if (changed) save(this.#modes);
  }
}

function load(): Array<[string, ChatMode]> {
  try {
    const saved: unknown = JSON.parse(window.sessionStorage.getItem(STORAGE_ITEM) ?? '{}');
    if (typeof saved !== 'object' || saved === null) return [];
    return Object.entries(saved).filter((entry): entry is [string, ChatMode] => CHAT_MODES.includes(entry[1]));
  } catch {
    // Storage disabled or foreign data: restored replies then take the mode of the tab that is open.
    return [];
  }
}

function save(modes: ReadonlyMap<string, ChatMode>): void {
  try {
    if (modes.size === 0) window.sessionStorage.removeItem(STORAGE_ITEM);
    else window.sessionStorage.setItem(STORAGE_ITEM, JSON.stringify(Object.fromEntries(modes)));
  } catch {
    // Full or disabled storage: only the tags of restored replies are lost.
  }
}
