import { request as httpRequest } from 'node:http';
import type { BenchServer } from './bench-server.js';
import { RELAY_SSE_HEADERS, startRelayServer, UPSTREAM_PATH, type RelayUpstream } from './relay.js';

/**
 * The relay through `node:http`: the upstream response piped into the client's, the least Node itself needs per
 * relayed stream; a closed response destroys the upstream request.
 */
export function startHttpRelay(upstream: RelayUpstream): Promise<BenchServer> {
  const url = new URL(upstream.baseUrl + UPSTREAM_PATH);
  const headers = { authorization: `Bearer ${upstream.apiKey}`, 'content-type': 'application/json' };
  return startRelayServer((body, _request, response) => {
    const outgoing = httpRequest(url, { method: 'POST', headers }, (incoming) => {
      response.writeHead(incoming.statusCode ?? 502, RELAY_SSE_HEADERS);
      response.flushHeaders();
      incoming.pipe(response);
    });
    outgoing.on('error', () => response.destroy());
    response.once('close', () => outgoing.destroy());
    outgoing.end(body);
  });
}
