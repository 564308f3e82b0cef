import type { BenchServer } from './bench-server.js';
import { RELAY_SSE_HEADERS, startRelayServer, UPSTREAM_PATH, type RelayUpstream } from './relay.js';

/**
 * The relay through the global `fetch` (undici), as a hand-written Node server would call Groq: the upstream body
 * read as a web stream and written to the response chunk by chunk; a closed response aborts the upstream request.
 */
export function startFetchRelay(upstream: RelayUpstream): Promise<BenchServer> {
  const url = upstream.baseUrl + UPSTREAM_PATH;
  const headers = { authorization: `Bearer ${upstream.apiKey}`, 'content-type': 'application/json' };
  return startRelayServer((body, _request, response) => {
    const controller = new AbortController();
    response.once('close', () => controller.abort());
    void (async () => {
      try {
        const answer = await fetch(url, { method: 'POST', headers, body, signal: controller.signal });
        response.writeHead(answer.status, RELAY_SSE_HEADERS);
        response.flushHeaders();
        for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) response.write(chunk);
        response.end();
      } catch {
        response.destroy();
      }
    })();
  });
}
