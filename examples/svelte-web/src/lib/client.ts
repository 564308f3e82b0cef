import { createChatClient } from '@chatwire/client-sdk';

/**
 * The app's one chat client. The UI is always served from the same origin as the API (nginx, the reference server,
 * or Vite's dev proxy), so the page's own origin is the base URL and the WebSocket is `ws(s)://<origin>/ws/chat`.
 */
export const client = createChatClient({ baseUrl: window.location.origin });
