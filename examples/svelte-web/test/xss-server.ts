/**
 * A chatwire server whose model answers with hostile markdown, for the XSS test: the real kit and modes, with a
 * provider that streams script tags, event handlers and `javascript:` links split across tokens the way a real model
 * would send them. The simulated provider never does this (its text is deterministic and fault injection does not
 * touch the text), so the test brings its own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChatKit, type Provider, type ProviderChunk } from '@chatwire/server-kit';
import Koa from 'koa';

/** The answer: legitimate markdown (a list, a code block) around the payloads. Each payload sets `window.__xss`. */
export const HOSTILE_ANSWER = [
  'Here is the **summary** you asked for:',
  '',
  '- first point',
  '- second point',
  '',
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=2</script>',
  '[click me](javascript:window.__xss=3)',
  '[alert](javascript:alert(1))',
  '<a href="javascript:window.__xss=4">raw link</a>',
  '<svg onload="window.__xss=5"><circle r="4"/></svg>',
  '<iframe srcdoc="<script>parent.__xss=6</script>"></iframe>',
  '<p onmouseover="window.__xss=7" style="display:block;width:100%;height:40px">hover here</p>',
  '<details open ontoggle="window.__xss=8"><summary>toggle</summary>x</details>',
  '',
  '```html',
  '<script>window.__xss=9</script>',
  '```',
  '',
  'A [safe link](https://example.com/docs) stays a link.',
].join('\n');

function* tokensOf(text: string): Generator<string> {
  // Small uneven pieces, so tags and attributes arrive cut in the middle.
  for (let index = 0; index < text.length;) {
    const size = 3 + (index % 5);
    yield text.slice(index, index + size);
    index += size;
  }
}

/** A provider that streams {@link HOSTILE_ANSWER}, a few ms between tokens. */
export function createHostileProvider(): Provider {
  return {
    name: 'simulated',
    defaultModel: 'test/hostile',
    listModels: () => Promise.resolve([{ id: 'test/hostile', provider: 'simulated' }]),
    async *stream(_request, signal): AsyncGenerator<ProviderChunk> {
      let count = 0;
      for (const text of tokensOf(HOSTILE_ANSWER)) {
        if (signal.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, 2));
        count++;
        yield { type: 'token', text };
      }
      yield {
        type: 'done',
        finish_reason: 'stop',
        usage: { prompt_tokens: 1, completion_tokens: count, total_tokens: count + 1 },
      };
    },
  };
}

/** Starts the kit with {@link createHostileProvider} on a free loopback port. */
export async function startHostileServer(): Promise<{ port: number; url: string; stop(): Promise<void> }> {
  const kit = createChatKit({ provider: createHostileProvider() });
  const app = new Koa();
  app.silent = true;
  app.use(kit.middleware());
  const server: Server = createServer(app.callback());
  kit.attachWebSocket(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await kit.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
