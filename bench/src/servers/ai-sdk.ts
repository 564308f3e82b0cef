import { createSimulatedProvider } from '@chatwire/server-kit';
import { createUIMessageStream, pipeUIMessageStreamToResponse } from 'ai';
import { closeServer, createHttpServer, listen, readJsonBody, type BenchServer } from './bench-server.js';
import type { BenchRequest } from '../prompts.js';

/**
 * The Vercel AI SDK peer: the same simulated tokens written as `text-delta` chunks of a UI message stream
 * (`createUIMessageStream`) and piped to the response with `pipeUIMessageStreamToResponse`, which is what a Node
 * server behind `useChat` sends (SSE `data:` lines of chunk JSON, then `data: [DONE]`).
 */
export async function startAiSdkServer(): Promise<BenchServer> {
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
      response.socket?.setNoDelay(true);
      const stream = createUIMessageStream({
        async execute({ writer }) {
          writer.write({ type: 'start' });
          writer.write({ type: 'text-start', id: 'text' });
          const messages = [{ role: 'user' as const, content: body.message }];
          for await (const chunk of provider.stream(
            { model: body.model, messages, max_tokens: body.max_tokens },
            controller.signal,
          )) {
            if (chunk.type === 'token') writer.write({ type: 'text-delta', id: 'text', delta: chunk.text });
            else {
              writer.write({ type: 'text-end', id: 'text' });
              writer.write({ type: 'finish', finishReason: chunk.finish_reason === 'length' ? 'length' : 'stop' });
            }
          }
        },
      });
      await pipeUIMessageStreamToResponse({ response, stream });
    })().catch(() => response.destroy());
  });
  const url = await listen(server);
  return { server, url, openStreams: () => open, close: () => closeServer(server) };
}
