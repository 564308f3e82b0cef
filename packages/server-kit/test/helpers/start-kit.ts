import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChatKit, type ChatKit, type ChatKitOptions } from '../../src/index.js';
import { mountKit, type Adapter } from './mount-kit.js';

export { ADAPTERS, OWN_ROUTE_TEXT, type Adapter } from './mount-kit.js';

/** A kit served on an ephemeral loopback port, as a user would mount it in one of the frameworks. */
export interface TestServer {
  /** `http://127.0.0.1:PORT` plus the kit's `basePath`: what a client's `baseUrl` is. */
  url: string;
  wsUrl: string;
  /** `http://127.0.0.1:PORT`: the framework's own route is `${origin}/own`. */
  origin: string;
  adapter: Adapter;
  kit: ChatKit;
  server: Server;
  close(): Promise<void>;
}

/** Starts a kit with `options` mounted through `adapter` (default Koa) beside a route of the framework's own. */
export async function startKit(options: ChatKitOptions = {}, adapter: Adapter = 'koa'): Promise<TestServer> {
  const kit = createChatKit(options);
  const mounted = await mountKit(kit, adapter, options.basePath ?? '');
  kit.attachWebSocket(mounted.server);
  const { port } = mounted.server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  return {
    url: `${origin}${basePath}`,
    wsUrl: `ws://127.0.0.1:${port}${basePath}/ws/chat`,
    origin,
    adapter,
    kit,
    server: mounted.server,
    async close() {
      await kit.close();
      mounted.server.closeAllConnections();
      await mounted.close();
    },
  };
}
