import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from './principal.js';

/** Issues and checks short-lived WebSocket tickets, for browsers that can send neither headers nor subprotocols. */
export interface TicketIssuer {
  issue(principal: Principal): { ticket: string; expires_in: number };
  verify(ticket: string): Principal | undefined;
}

/** Options of {@link createTicketIssuer}. */
export interface TicketIssuerOptions {
  /** HMAC secret; instances behind one load balancer must share it (default: random per process). */
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
