/**
 * The page of the browser half of auto-nginx.test.ts: the built client SDK and the same outcome reader the Node tests
 * use, bundled into one module (the UI has no auto-mode view to drive yet; this tests the SDK itself in Chromium).
 */
export { createChatClient } from '@chatwire/client-sdk';
export { readOutcome } from '../../../packages/client-sdk/test/helpers/auto-outcome.js';
