/**
 * The repository's nginx.conf turned into the intermediaries `mode: 'auto'` has to get through (issue 14): one that
 * refuses WebSockets, one that holds event streams, and one that does both. Each is an edit of the real file whose
 * patterns must match, so a change to nginx.conf cannot leave these tests on a stale copy.
 */
import type { Fallback } from '@chatwire/client-sdk';

/** Applies `replacement` where `pattern` matches, or fails saying the config no longer has it. */
function rewrite(conf: string, pattern: RegExp, replacement: string): string {
  if (!pattern.test(conf)) throw new Error(`nginx.conf no longer contains ${pattern}; update the hostile edit`);
  return conf.replace(pattern, replacement);
}

/** `location /ws/` answers 403 to every upgrade, as corporate proxies that block WebSockets do. */
export function refuseWebSockets(conf: string): string {
  return rewrite(conf, /location \/ws\/ \{/, 'location /ws/ {\n      return 403;');
}

/**
 * `location /api/` holds event streams: buffering forced on with the kit's `X-Accel-Buffering: no` ignored, and gzip
 * applied to `text/event-stream`, with buffers large enough for a whole answer.
 *
 * Buffering alone does not hold a stream: nginx then reads the backend as fast as it can but still passes each piece
 * on while the client keeps up (measured: tokens arrive as they come). gzip is what holds it: its output waits until a
 * buffer fills, and with buffers larger than the answer nothing, not even the headers, leaves before the end. The
 * combination is a plausible misconfiguration (`gzip_types` extended to "all text"), and the same effect as the
 * antivirus gateways and CDNs that deliver an event stream whole.
 */
export function bufferEventStreams(conf: string): string {
  const held = rewrite(conf, /gzip_types text\/css/, 'gzip_types text/event-stream text/css');
  return rewrite(
    held,
    /(location \/api\/ \{[^}]*?)proxy_buffering off;/,
    [
      '$1proxy_buffering on;',
      'proxy_ignore_headers X-Accel-Buffering;',
      'proxy_buffer_size 64k;',
      'proxy_buffers 16 64k;',
      'proxy_busy_buffers_size 128k;',
      'gzip_buffers 16 64k;',
    ].join('\n      '),
  );
}

const WS_REFUSED: Fallback = { from: 'ws', to: 'sse', reason: 'ws_refused' };
const SSE_BUFFERED: Fallback = { from: 'sse', to: 'polling', reason: 'sse_buffered' };

/** A hostile nginx and what an auto-mode chat through it must end with. */
export interface HostileNginx {
  name: string;
  edit: (conf: string) => string;
  mode: 'ws' | 'sse' | 'polling';
  fallbacks: Fallback[];
}

/**
 * The three cases of issue 14. Buffered SSE alone changes nothing: the WebSocket works, so auto never uses SSE there
 * (asserted too); buffering is only met, and detected, when the WebSocket is refused as well.
 */
export const HOSTILE_NGINX: readonly HostileNginx[] = [
  { name: 'refuses WebSockets', edit: refuseWebSockets, mode: 'sse', fallbacks: [WS_REFUSED] },
  { name: 'buffers event streams', edit: bufferEventStreams, mode: 'ws', fallbacks: [] },
  {
    name: 'refuses WebSockets and buffers event streams',
    edit: (conf) => bufferEventStreams(refuseWebSockets(conf)),
    mode: 'polling',
    fallbacks: [WS_REFUSED, SSE_BUFFERED],
  },
];
