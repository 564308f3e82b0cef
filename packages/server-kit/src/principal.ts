import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Who makes a request. Runs belong to the principal that created them. */
export interface Principal {
  /** Stable id; runs are owned by it. All anonymous callers share the id `anonymous`. */
  id: string;
  /** Key that rate limits count against (default: `id`); anonymous callers are counted by IP address. */
  rateKey?: string;
}

/** What an {@link Authenticate} hook sees of a request (HTTP or WebSocket handshake). */
export interface AuthenticationRequest {
  /** The bearer token: `Authorization: Bearer`, or a WS `bearer.<token>` subprotocol. */
  token: string | undefined;
  headers: IncomingHttpHeaders;
  /** The client's address. */
  ip: string;
}

/**
 * Decides who is calling: a {@link Principal}, or `undefined` to refuse with 401. It may throw a `ChatError`
 * (`forbidden`, say) to refuse otherwise.
 */
export type Authenticate = (request: AuthenticationRequest) => Principal | undefined | Promise<Principal | undefined>;

/** The principal of every caller on a server without authentication. */
export function anonymousPrincipal(ip: string): Principal {
  return { id: 'anonymous', rateKey: `ip:${ip}` };
}

/**
 * An {@link Authenticate} hook that accepts any of `keys` as a bearer token. Keys are compared in constant time;
 * the principal id is derived from a hash of the key, so the key itself never appears in ids or logs.
 */
export function createApiKeyAuthenticator(keys: readonly string[]): Authenticate {
  const digests = keys.filter((key) => key.length > 0).map((key) => digest(key));
  if (digests.length === 0) throw new TypeError('createApiKeyAuthenticator needs at least one non-empty key');
  return ({ token }) => {
    if (!token) return undefined;
    const candidate = digest(token);
    // Compare against every key so timing does not tell which one (or whether any) came close.
    let match: Buffer | undefined;
    for (const known of digests) if (timingSafeEqual(known, candidate)) match = known;
    return match ? { id: `key_${match.toString('hex').slice(0, 16)}` } : undefined;
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Reads `Authorization: Bearer <token>`. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1];
}
