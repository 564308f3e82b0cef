import type { IncomingHttpHeaders } from 'node:http';
import proxyaddr from 'proxy-addr';

/** What {@link ClientAddress} reads of a request: a Node `IncomingMessage`, or the same two fields from elsewhere. */
export interface AddressedRequest {
  headers: IncomingHttpHeaders;
  socket: { remoteAddress?: string | undefined } | null;
}

/** The address a request comes from: its socket's, or a forwarded one vouched for by trusted proxies. */
export type ClientAddress = (request: AddressedRequest) => string;

/**
 * Resolves client addresses, believing `X-Forwarded-For` only as far as the hops that added it are trusted: from the
 * socket's address backwards, each trusted proxy's claim is taken, and the first untrusted hop is the client. With no
 * trusted proxies (the default) the socket's address is the client, whatever the headers say, so a client that reaches
 * the server directly cannot pick its own rate-limit key or logged address.
 *
 * `trustedProxies` are IPs, CIDRs (`10.0.0.0/8`, `fd00::/8`) or proxy-addr's names `loopback`, `linklocal` and
 * `uniquelocal`. Built on `proxy-addr`, the library Express uses for the same job. IPv4-mapped IPv6 addresses
 * (`::ffff:127.0.0.1`) are reported as IPv4.
 *
 * @example
 * const clientAddress = createClientAddress(['10.0.0.5']); // the nginx in front
 */
export function createClientAddress(trustedProxies: readonly string[] = []): ClientAddress {
  const list = trustedProxies.map((entry) => entry.trim()).filter(Boolean);
  let trust: (address: string, hop: number) => boolean;
  try {
    trust = list.length === 0 ? () => false : proxyaddr.compile(list);
  } catch (error) {
    throw new TypeError(
      `trusted proxies must be IP addresses or CIDRs: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return (request) => {
    // A socket already closed has no address; proxy-addr reads `request.socket.remoteAddress` itself.
    if (request.socket?.remoteAddress === undefined) return 'unknown';
    return unmapped(list.length === 0 ? request.socket.remoteAddress : proxyaddr(request as never, trust));
  };
}

function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
