export { ChatSession } from './chat-session.svelte.js';
export type { ChatMode } from '@chatwire/client-sdk';
export type { ChatSessionOptions, SessionMessage, SessionStorageLike } from '@chatwire/client-sdk/session';
