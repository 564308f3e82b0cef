import { createSimulatedProvider } from '@chatwire/server-kit';
import { Server as SocketIoServer } from 'socket.io';
import { createHttpServer, listen, type BenchServer } from './bench-server.js';
import type { BenchRequest } from '../prompts.js';

/**
 * The Socket.IO peer: a `chat` event starts the simulated model and every token is emitted as a `token` event, then
 * `done` with the usage. WebSocket transport only (no long-polling fallback), no compression, like the kit's WS.
 */
export async function startSocketIoServer(): Promise<BenchServer> {
  const provider = createSimulatedProvider();
  const server = createHttpServer();
  const io = new SocketIoServer(server, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
  let open = 0;
  io.on('connection', (socket) => {
    const controller = new AbortController();
    socket.on('disconnect', () => controller.abort());
    socket.on('chat', (request: BenchRequest) => {
      void (async () => {
        open++;
        const messages = [{ role: 'user' as const, content: request.message }];
        for await (const chunk of provider.stream(
          { model: request.model, messages, max_tokens: request.max_tokens },
          controller.signal,
        )) {
          if (chunk.type === 'token') socket.emit('token', chunk.text);
          else socket.emit('done', chunk.usage);
        }
      })()
        .catch(() => socket.disconnect(true))
        .finally(() => open--);
    });
  });
  const url = await listen(server);
  return {
    server,
    url,
    openStreams: () => open,
    async close() {
      // Socket.IO closes its HTTP server too.
      server.closeAllConnections();
      await io.close();
    },
  };
}
