import type { FastifyPluginCallback } from 'fastify';
import type { ChatKit } from '../chat-kit.js';

/** Options of {@link chatKitPlugin}. */
export interface ChatKitPluginOptions {
  kit: ChatKit;
}

/**
 * Fastify 5: `await fastify.register(chatKitPlugin, { kit })`, then `kit.attachWebSocket(fastify.server)`.
 *
 * The kit answers its own paths in an `onRequest` hook, before Fastify parses a body, on the raw request and
 * response (`reply.hijack()`); every other request goes on to your routes. The hook is registered on the root
 * instance, not encapsulated (what `fastify-plugin` does), so it sees every request.
 *
 * @example
 * import { chatKitPlugin } from '@chatwire/server-kit/fastify';
 * const fastify = Fastify();
 * await fastify.register(chatKitPlugin, { kit });
 * kit.attachWebSocket(fastify.server);
 */
export const chatKitPlugin: FastifyPluginCallback<ChatKitPluginOptions> = Object.assign(
  ((fastify, { kit }, done) => {
    const handle = kit.handler();
    fastify.addHook('onRequest', (request, reply, next) => {
      let passed = false;
      // The kit's handler calls `next` synchronously for a path it does not own, and otherwise answers by itself.
      handle(request.raw, reply.raw, () => {
        passed = true;
        next();
      });
      if (!passed) reply.hijack();
    });
    done();
  }) satisfies FastifyPluginCallback<ChatKitPluginOptions>,
  { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'chatwire' },
);
