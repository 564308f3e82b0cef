import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, createHttpServer, listen, type BenchServer } from './bench-server.js';

/** Where a relay sends the chat: Groq's (here the fake's) chat completions endpoint, with a key. */
export interface RelayUpstream {
  /** Base URL without a path, `http://127.0.0.1:<port>`. */
  baseUrl: string;
  apiKey: string;
}

/** The path of Groq's OpenAI-compatible chat completions. */
export const UPSTREAM_PATH = '/openai/v1/chat/completions';

/** The event-stream headers a relay answers with. */
export const RELAY_SSE_HEADERS = { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' };

/** Relays one chat request upstream and its streamed answer back, until either side closes. */
export type Relay = (body: string, request: IncomingMessage, response: ServerResponse) => void;

/** Reads the chat request and answers the body the upstream request carries: the same model and messages, streamed. */
async function upstreamBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const chat = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model?: string; messages: unknown };
  return JSON.stringify({ model: chat.model ?? 'openai/gpt-oss-20b', messages: chat.messages, stream: true });
}

/**
 * A bare relay server: `POST` anywhere relays a chat to the upstream and its event stream back byte for byte, `GET
 * /healthz` answers 200. No store, no events of its own, no resume: the least a server can hold per stream while
 * making the same upstream request as the kit, the baseline of the capacity scenario.
 */
export async function startRelayServer(relay: Relay): Promise<BenchServer> {
  let open = 0;
  const server = createHttpServer((request, response) => {
    if (request.method === 'GET' && request.url === '/healthz') {
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    if (request.method !== 'POST') {
      response.writeHead(404).end();
      return;
    }
    open++;
    response.once('close', () => open--);
    upstreamBody(request).then(
      (body) => relay(body, request, response),
      () => response.destroy(),
    );
  });
  const url = await listen(server);
  return { server, url, openStreams: () => open, close: () => closeServer(server) };
}
