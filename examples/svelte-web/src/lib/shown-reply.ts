import type { ChatMode, ChatStats } from '@chatwire/client-sdk';
import type { SessionMessage } from '@chatwire/client-sdk/session';

/** Where an answer stands, as the UI shows it (`data-status`): `waiting` is streaming with no run started yet. */
export type ReplyStatus = 'waiting' | 'streaming' | 'done' | 'error' | 'stopped';

/** What a reply shows: the chat's session messages and the Compare view's columns both come down to this. */
export interface ShownReply {
  /** The mode asked for (`auto` included); {@link ShownReply.stats} says which transport delivered it. */
  readonly mode: ChatMode;
  readonly text: string;
  readonly status: ReplyStatus;
  readonly runId?: string | undefined;
  readonly model?: string | undefined;
  /** Why it failed, in words, when {@link ShownReply.status} is `error`. */
  readonly error?: string | undefined;
  readonly stats?: ChatStats | undefined;
}

/** Whether `status` is still coming in. */
export function isActive(status: ReplyStatus): boolean {
  return status === 'waiting' || status === 'streaming';
}

/**
 * A session's reply as shown: asked in `mode`; `problem`, when set, says why it failed better than the SDK could (the
 * server wants an API key).
 */
export function shownReply(message: SessionMessage, mode: ChatMode, problem?: string): ShownReply {
  const waiting = message.status === 'streaming' && message.runId === undefined;
  return {
    mode,
    text: message.content,
    status: waiting ? 'waiting' : message.status,
    runId: message.runId,
    model: message.model,
    error: problem ?? message.error?.message,
    stats: message.stats,
  };
}
