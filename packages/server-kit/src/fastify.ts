export { chatKitPlugin, type ChatKitPluginOptions } from './adapters/fastify.js';
