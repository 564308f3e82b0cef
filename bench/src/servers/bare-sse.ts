import { formatSseEvent, type RunEvent } from '@chatwire/protocol';
import { createSimulatedProvider } from '@chatwire/server-kit';
import { closeServer, createHttpServer, listen, readJsonBody, type BenchServer } from './bench-server.js';
import type { BenchRequest } from '../prompts.js';

/**
 * The SSE transport floor: node:http and the simulated provider, nothing else. It writes the same events in the same
 * encoding as the kit (`formatSseEvent`), one write per token as it comes; no store, no engine, no Koa, no resume.
 */
export async function startBareSseServer(): Promise<BenchServer> {
  const provider = createSimulatedProvider();
  let open = 0;
  const server = createHttpServer((request, response) => {
    if (request.method !== 'POST') {
      response.writeHead(404).end();
      return;
    }
    open++;
    const controller = new AbortController();
    response.once('close', () => {
      open--;
      controller.abort();
    });
    void (async () => {
      const body = await readJsonBody<BenchRequest>(request);
      response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
      response.socket?.setNoDelay(true);
      const id = 'bare';
      let seq = 0;
      const write = (event: RunEvent) => response.write(formatSseEvent(event));
      write({ id, seq, type: 'start', model: body.model, created_at: new Date().toISOString() });
      const messages = [{ role: 'user' as const, content: body.message }];
      for await (const chunk of provider.stream(
        { model: body.model, messages, max_tokens: body.max_tokens },
        controller.signal,
      )) {
        if (chunk.type === 'token') write({ id, seq: ++seq, type: 'token', text: chunk.text });
        else write({ id, seq: ++seq, type: 'done', finish_reason: chunk.finish_reason, usage: chunk.usage });
      }
      response.end();
    })().catch(() => response.destroy());
  });
  const url = await listen(server);
  return { server, url, openStreams: () => open, close: () => closeServer(server) };
}
