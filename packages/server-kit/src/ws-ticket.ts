import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from './principal.js';

/** Issues and checks short-lived WebSocket tickets, for browsers that can send neither headers nor subprotocols. */
export interface TicketIssuer {
  issue(principal: Principal): { ticket: string; expires_in: number };
  verify(ticket: string): Principal | undefined;
}

/** Fewest characters a configured ticket secret may have: shorter ones can be guessed offline from one ticket. */
export const MIN_TICKET_SECRET_LENGTH = 32;

/** Options of {@link createTicketIssuer}. */
export interface TicketIssuerOptions {
  /** HMAC secret, at least 32 characters; instances behind one load balancer must share it (default: random). */
  secret?: string;
  /** Lifetime in seconds (default 60). */
  ttlSeconds?: number;
  now?: () => number;
}

/**
 * Stateless signed tickets (`payload.signature`): any instance with the same secret accepts them until they expire.
 * A ticket is not the API key and is useless after its short lifetime, so it may travel in a URL.
 */
export function createTicketIssuer(options: TicketIssuerOptions = {}): TicketIssuer {
  if (options.secret !== undefined) checkTicketSecret(options.secret);
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const ttlSeconds = options.ttlSeconds ?? 60;
  const now = options.now ?? Date.now;
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');
  return {
    issue(principal) {
      const payload = Buffer.from(
        JSON.stringify({ p: principal.id, r: principal.rateKey, e: now() + ttlSeconds * 1000 }),
      ).toString('base64url');
      return { ticket: `${payload}.${sign(payload)}`, expires_in: ttlSeconds };
    },
    verify(ticket) {
      const [payload, signature, extra] = ticket.split('.');
      if (!payload || !signature || extra !== undefined) return undefined;
      const expected = Buffer.from(sign(payload));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
      try {
        const { p, r, e } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
          p: unknown;
          r: unknown;
          e: unknown;
        };
        if (typeof p !== 'string' || typeof e !== 'number' || e < now()) return undefined;
        return typeof r === 'string' ? { id: p, rateKey: r } : { id: p };
      } catch {
        return undefined;
      }
    },
  };
}

/** Throws a `TypeError` (naming the rule, never the value) for a ticket secret too short to resist guessing. */
export function checkTicketSecret(secret: string): void {
  if (secret.length < MIN_TICKET_SECRET_LENGTH) {
    throw new TypeError(
      `the ticket secret must be at least ${MIN_TICKET_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`,
    );
  }
}

/**
 * The secret that signs a kit's tickets: the configured one; else, on a keyed server, one derived from its API keys
 * (HKDF-SHA256 over the sorted keys, under a fixed label), so every instance sharing the keys accepts the others'
 * tickets with nothing more to configure and nobody without a key can sign one; else a random one for this process.
 */
export function ticketSecretFor(options: { ticketSecret?: string; apiKeys?: readonly string[] }): string {
  if (options.ticketSecret !== undefined) {
    checkTicketSecret(options.ticketSecret);
    return options.ticketSecret;
  }
  const keys = [...new Set(options.apiKeys ?? [])].filter((key) => key !== '').sort();
  if (keys.length === 0) return randomBytes(32).toString('hex');
  // JSON keeps the encoding unambiguous whatever characters the keys hold.
  const material = Buffer.from(JSON.stringify(keys));
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'chatwire/ws-ticket/v1', 32)).toString('hex');
}
