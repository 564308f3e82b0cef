import type { KitRequest } from './kit-request.js';

const ALLOW_HEADERS = 'Authorization, Content-Type, Idempotency-Key, Last-Event-ID';
const EXPOSE_HEADERS = 'Retry-After, Location';

/**
 * CORS for the API routes, following the same allowlist as WS origins; none configured, no CORS headers. Returns the
 * headers to add to the response (for a preflight, with the allowed methods and headers).
 */
export function corsHeaders(
  request: KitRequest,
  allowed: ReadonlySet<string> | undefined,
  allowedMethods: readonly string[],
): Record<string, string> {
  if (!allowed || !request.path.startsWith('/api/')) return {};
  const origin = request.header('origin');
  if (!allowed.has(origin)) return {};
  if (request.method !== 'OPTIONS') {
    return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSE_HEADERS, Vary: 'Origin' };
  }
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': allowedMethods.join(', '),
    'Access-Control-Allow-Headers': ALLOW_HEADERS,
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  };
}
