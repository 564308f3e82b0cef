import type { RunEvent } from '@chatwire/protocol';
import { createSimulatedProvider } from '@chatwire/server-kit';
import { WebSocketServer } from 'ws';
import { closeServer, createHttpServer, listen, type BenchServer } from './bench-server.js';
import type { BenchRequest } from '../prompts.js';

/**
 * The WebSocket transport floor: `ws` on node:http and the simulated provider. It takes the kit's chat frame and sends
 * the same event JSON, one frame per token as it comes; no store, no engine, no resume, no backpressure handling.
 */
export async function startBareWsServer(): Promise<BenchServer> {
  const provider = createSimulatedProvider();
  const server = createHttpServer((_request, response) => response.writeHead(404).end());
  const wss = new WebSocketServer({ server, path: '/ws/chat', perMessageDeflate: false });
  let open = 0;
  wss.on('connection', (socket) => {
    const controller = new AbortController();
    socket.on('close', () => controller.abort());
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as BenchRequest & { request_id?: string };
      void (async () => {
        open++;
        const id = frame.request_id ?? 'bare';
        let seq = 0;
        const send = (event: RunEvent) => socket.send(JSON.stringify(event));
        send({ id, seq, type: 'start', model: frame.model, created_at: new Date().toISOString() });
        const messages = [{ role: 'user' as const, content: frame.message }];
        for await (const chunk of provider.stream(
          { model: frame.model, messages, max_tokens: frame.max_tokens },
          controller.signal,
        )) {
          if (chunk.type === 'token') send({ id, seq: ++seq, type: 'token', text: chunk.text });
          else send({ id, seq: ++seq, type: 'done', finish_reason: chunk.finish_reason, usage: chunk.usage });
        }
      })()
        .catch(() => socket.terminate())
        .finally(() => open--);
    });
  });
  const url = await listen(server);
  return {
    server,
    url,
    openStreams: () => open,
    async close() {
      for (const socket of wss.clients) socket.terminate();
      wss.close();
      await closeServer(server);
    },
  };
}
