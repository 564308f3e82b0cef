import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { createChatKit, type ChatKit, type ChatKitOptions } from '../../src/index.js';

/** A kit served on an ephemeral loopback port, as a user would mount it. */
export interface TestServer {
  url: string;
  wsUrl: string;
  kit: ChatKit;
  close(): Promise<void>;
}

export async function startKit(options: ChatKitOptions = {}): Promise<TestServer> {
  const kit = createChatKit(options);
  const app = new Koa();
  app.silent = true;
  app.use(kit.middleware());
  const server = createServer(app.callback());
  kit.attachWebSocket(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws/chat`,
    kit,
    async close() {
      await kit.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
