/**
 * Generators of request lines for the fuzz test: run ids (real, odd, percent-encoded, very long), query strings,
 * paths, raw request targets and raw headers.
 */
import fc from 'fast-check';
import { forbiddenHeaderValue, headerValue, percentEncode, specialString } from './fuzz-arbitraries.js';

/** A run id in a path: one of this server's real runs (maybe altered), an odd segment, or a very long one. */
export type IdSpec =
  | { kind: 'real'; index: number; tweak: 'none' | 'encoded' | 'upper' | 'suffix' | 'truncated' }
  | { kind: 'segment'; segment: string }
  | { kind: 'long'; length: number; unit: string };

/** Characters allowed raw in a path segment, and `%` (malformed escapes too). */
export const pathChar = fc.constantFrom(..."AZaz09-._~!$&'()*+,;=:@%".split(''));
/** Run ids for the `:id` routes. */
export const idSpec: fc.Arbitrary<IdSpec> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('real' as const),
      index: fc.integer({ min: 0, max: 1 }),
      tweak: fc.constantFrom('none', 'none', 'encoded', 'upper', 'suffix', 'truncated'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc
      .oneof(
        fc.constantFrom(
          '..',
          '.',
          '...',
          '%2e%2e',
          '%2E%2E%2F%2E%2E%2Fhealthz',
          '..%2f..%2fhealthz',
          '..%5c..%5c',
          '%',
          '%%',
          '%zz',
          '%E0%A4%A',
          '%00',
          '%0d%0a',
          '%2F',
          '%252e',
          ';',
          ';x=1',
          '%20',
          'null',
          'undefined',
          '-1',
          'AAAAAAAAAAAAAAAAAAAAAA',
          '__proto__',
          'constructor',
          'hasOwnProperty',
        ),
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), specialString).map(percentEncode),
        fc.string({ unit: pathChar, minLength: 1, maxLength: 30 }),
      )
      .filter((segment) => segment !== '')
      .map((segment): IdSpec => ({ kind: 'segment', segment })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('long' as const),
      length: fc.integer({ min: 100, max: 9000 }),
      unit: fc.constantFrom('a', '%41', '.'),
    }),
  },
);

/** Values for `after` / `wait`: in range, out of range, odd number syntax, any string. */
export const queryValue = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -3, max: 40 }).map(String) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      '-0',
      '-1',
      '-2',
      '0x10',
      '1e3',
      ' 3',
      '3 ',
      '+3',
      '3.0',
      '3.5',
      '30',
      '30.0',
      '30.5',
      '31',
      '999999',
      '1000000',
      '0000001',
      '0.0001',
      '1.',
      '.5',
      '9007199254740991',
      '9007199254740993',
      'NaN',
      'Infinity',
      '٣',
      '３',
    ),
  },
  { weight: 1, arbitrary: fc.oneof(fc.string(), fc.string({ unit: 'binary' })) },
);
/** One `name=value` part of a query string (mostly `after` and `wait`), or junk. */
export const queryPart = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom('after', 'wait') },
          { weight: 1, arbitrary: fc.constantFrom('AFTER', 'after[]', 'wait ', 'x', '', 'ticket') },
        ),
        queryValue,
      )
      .map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '&',
      '=',
      '%',
      '%zz',
      '+',
      'after',
      'after=',
      '=1',
      'after=1=2',
      'wait=%33',
      'after=%2d1',
      'after=+3',
      'after=3+',
      'wait=1&wait=2',
    ),
  },
);

/** The path segment an {@link IdSpec} stands for, given the server's real runs. */
export function idSegment(spec: IdSpec, runs: ReadonlyArray<{ id: string }>): string {
  switch (spec.kind) {
    case 'real': {
      const id = runs[spec.index]?.id ?? '';
      if (spec.tweak === 'encoded') return `%${id.charCodeAt(0).toString(16).toUpperCase()}${id.slice(1)}`;
      if (spec.tweak === 'upper') return id.toUpperCase();
      if (spec.tweak === 'suffix') return `${id}x`;
      if (spec.tweak === 'truncated') return id.slice(0, -1);
      return id;
    }
    case 'segment':
      return spec.segment;
    case 'long':
      return spec.unit.repeat(spec.length);
    default: {
      const unreachable: never = spec;
      return unreachable;
    }
  }
}

/** Every route of the kit (with `x` for ids), including the WS path. */
export const KNOWN_PATHS = [
  '/healthz',
  '/readyz',
  '/openapi.json',
  '/api/models',
  '/api/ws/ticket',
  '/api/sync/chat',
  '/api/async/chat',
  '/api/sse/chat',
  '/api/async/status/x',
  '/api/runs/x',
  '/api/runs/x/cancel',
  '/api/sse/chat/x',
  '/ws/chat',
];
/** Known paths, their near misses (trailing slash, case, dot segments, encoded slash) and random paths. */
export const pathVariant = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KNOWN_PATHS) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...KNOWN_PATHS),
        fc.constantFrom('/', '//', '/..', '/.', ';x', '%2F', '%00', '?', '?x=%zz', '/extra', '/x/y', '.json', '~'),
      )
      .map(([path, tail]) => path + tail),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '/',
      '/api',
      '/api/',
      '/api/sync',
      '/api/runs',
      '/api/runs/',
      '/api/async/status',
      '/api/async/status/',
      '/API/SYNC/CHAT',
      '/api//sync/chat',
      '//api/sync/chat',
      '/api/../healthz',
      '/%2e%2e/healthz',
      '/api/sync/chat/..',
      '/favicon.ico',
      '/.env',
      '/ws',
      '/ws/chat/x',
      '/healthz/x',
      '/api/runs/x/cancel/x',
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.oneof(fc.string({ unit: pathChar, maxLength: 12 }), fc.string().map(percentEncode)), {
        minLength: 1,
        maxLength: 4,
      })
      .map((parts) => `/${parts.join('/')}`),
  },
);

/** Characters of an HTTP token (method, header name). */
export const tokenChar = fc.constantFrom(
  ..."!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".split(''),
);
/** Hosts for absolute-form request targets, valid and not. */
export const authority = fc.constantFrom(
  '127.0.0.1',
  'localhost:1',
  '[::1]',
  '[::1]:80',
  '[x',
  '[',
  '[]',
  '%',
  'a%zzb',
  'user:pass@host',
  'x:99999999',
  'ö',
  '',
  '..',
  '[::ffff:1.2.3.4]',
  '[v1.x]',
);
/** Request targets: paths, `*`, absolute-form URLs with odd hosts, scheme-relative `//...`, raw bytes. */
export const rawTarget = fc.oneof(
  { weight: 3, arbitrary: pathVariant },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '*',
      '/',
      '//',
      '///api/models',
      '//[',
      '//[x/healthz',
      '/%',
      '/%zz',
      '/..',
      '/../..',
      '/./healthz',
      '\\healthz',
      '/healthz\\..',
      '/api/runs/%00',
      '/healthz?%',
      '/healthz?a=%zz',
      '/healthz#x',
      '?',
      '#',
      'healthz',
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('http://', 'https://', 'ws://', 'HTTP://', 'http:', 'http:/', 'x://', '//'),
        authority,
        fc.constantFrom('', ...KNOWN_PATHS),
      )
      .map(([scheme, host, path]) => `${scheme}${host}${path}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({
        unit: fc.oneof(
          fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
          fc.constantFrom('é', '\u0000', ' ', '\t', '\u007f'),
        ),
        maxLength: 30,
      })
      .map((path) => `/${path}`),
  },
);
/** A header line: known names (framing and upgrade ones included) or random ones, with valid or forbidden values. */
export const rawHeader = fc.tuple(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        'Authorization',
        'Idempotency-Key',
        'Last-Event-ID',
        'Content-Type',
        'Accept',
        'Accept-Encoding',
        'Content-Encoding',
        'Origin',
        'Cookie',
        'X-Forwarded-For',
        'X-Forwarded-Proto',
        'Forwarded',
        'Range',
        'If-None-Match',
        'Expect',
        'Upgrade',
        'Connection',
        'Host',
        'Transfer-Encoding',
        'Content-Length',
        'Sec-WebSocket-Protocol',
        'Trailer',
        'TE',
        'Keep-Alive',
        'X-HTTP-Method-Override',
      ),
    },
    { weight: 2, arbitrary: fc.string({ unit: tokenChar, minLength: 1, maxLength: 10 }) },
    { weight: 1, arbitrary: fc.constantFrom('', ' X', 'X ', 'X:Y', 'Ä', 'X\u0000', '(bad)') },
  ),
  fc.oneof(
    { weight: 3, arbitrary: headerValue.map(String) },
    { weight: 1, arbitrary: forbiddenHeaderValue },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '100-continue',
        'chunked',
        'gzip',
        'close',
        'keep-alive',
        'upgrade',
        'websocket',
        '-1',
        'abc',
        '1e3',
        '0',
        '5',
      ),
    },
  ),
);
/** The methods the kit's router knows. */
export const CORE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
