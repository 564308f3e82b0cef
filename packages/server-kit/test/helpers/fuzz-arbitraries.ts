/**
 * fast-check generators for the fuzz test. Values stay small when printed (long strings and arrays are `Big` / `Many`
 * and expand only when serialised), so a failure's counterexample is readable and replays from its seed.
 */
import fc from 'fast-check';

/** A long string that prints as `Big("a"×70000)` and serialises (JSON, `String()`) to the whole string. */
export class Big {
  constructor(
    readonly unit: string,
    readonly count: number,
  ) {}
  toJSON(): string {
    return this.unit.repeat(this.count);
  }
  toString(): string {
    return this.toJSON();
  }
  [fc.toStringMethod](): string {
    return `Big(${JSON.stringify(this.unit)}×${this.count})`;
  }
}

/** An array of `count` copies of `item` that prints short. */
export class Many {
  constructor(
    readonly item: unknown,
    readonly count: number,
  ) {}
  toJSON(): unknown[] {
    return Array.from({ length: this.count }, () => this.item);
  }
  [fc.toStringMethod](): string {
    return `Many(${JSON.stringify(this.item)}×${this.count})`;
  }
}

const char = (from: number, to: number) => fc.integer({ min: from, max: to }).map((code) => String.fromCharCode(code));

export const specialString = fc.constantFrom(
  '',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u00a0',
  '\u2028',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\ud83d\ude00',
  'e\u0301',
  '\u202e',
  '𝕏𝕐',
  '"',
  '\\',
  '{}',
  '[]',
  'null',
  '../../etc/passwd',
  '%00',
  '%',
  'sim/instant',
  'SIM/INSTANT',
  ' sim/instant',
  'sim/instant ',
  'user',
  'system',
  'assistant',
  '__proto__',
  'constructor',
  'NaN',
  '-1',
  '1e309',
);

/** Strings: ASCII, any code point (lone surrogates too), graphemes, special ones, very long ones. */
export const oddString: fc.Arbitrary<string | Big> = fc.oneof(
  { weight: 3, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 3, arbitrary: specialString },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('a', 'é', '😀', '\u0000', '"', '\ud800'), fc.integer({ min: 1000, max: 70_000 }))
      .map(([unit, count]) => new Big(unit, count)),
  },
);

/** Numbers in and out of every field's range (NaN and infinities serialise to null). */
export const oddNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    -1,
    0,
    1,
    2,
    2.000001,
    1.999999,
    4096,
    4097,
    4095.5,
    0.5,
    -0,
    1e308,
    -1e308,
    5e-324,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 31),
  ),
);

const junkKey = fc.oneof(
  fc.string({ maxLength: 8 }),
  specialString,
  fc.constantFrom('message', 'messages', 'model', 'type', 'id', 'role', 'content'),
);

/** Any JSON-ish value: strings, numbers, booleans, null, arrays and objects nested a few levels. */
export const junkValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    oddString,
    oddNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(junkKey, tie('value'), { maxKeys: 4 }),
  ),
})).value;

const role = fc.oneof(
  fc.constantFrom('user', 'system', 'assistant'),
  fc.constantFrom('USER', 'tool', 'function', '', ' user'),
  junkValue,
);
const messageItem = fc.oneof(
  { weight: 3, arbitrary: fc.record({ role, content: fc.oneof(oddString, junkValue) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: junkValue },
);

/** Values for each field of a chat request: right types, wrong types, out of range, odd strings. */
export const chatField = {
  message: fc.oneof(oddString, junkValue),
  messages: fc.oneof(
    fc.array(messageItem, { maxLength: 4 }),
    fc.integer({ min: 198, max: 202 }).map((count) => new Many({ role: 'user', content: 'x' }, count)),
    junkValue,
  ),
  model: fc.oneof(
    fc.constantFrom('sim/instant', 'sim/Instant', 'sim/', 'gpt-4o', 'sim/instant\u0000'),
    oddString,
    junkValue,
  ),
  temperature: fc.oneof(fc.double({ min: 0, max: 2, noNaN: true }), oddNumber, junkValue),
  max_tokens: fc.oneof(fc.integer({ min: 1, max: 4096 }), oddNumber, junkValue),
};
type ChatFieldName = keyof typeof chatField;
const chatFieldNames = Object.keys(chatField) as ChatFieldName[];

/** A valid request to mutate: some of the fuzz must get past validation. */
export const validChat = fc.record(
  {
    message: fc.oneof(fc.string({ minLength: 1 }), fc.string({ unit: 'binary', minLength: 1 })),
    model: fc.constant('sim/instant'),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
    max_tokens: fc.integer({ min: 1, max: 4096 }),
  },
  { requiredKeys: ['message'] },
);

/** Chat request objects: fields with random values, valid requests with one field broken, extra fields. */
export const chatObject: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(chatField, { requiredKeys: [] }),
  fc
    .tuple(validChat, fc.constantFrom(...chatFieldNames))
    .chain(([base, field]) => chatField[field].map((value) => ({ ...base, [field]: value }))),
  fc
    .tuple(validChat, fc.dictionary(junkKey, junkValue, { maxKeys: 3 }))
    .map(([base, extra]) => ({ ...extra, ...base })),
  fc
    .tuple(validChat, fc.oneof(fc.string({ minLength: 1 }), specialString))
    .map(([base, model]) => ({ ...base, model })),
  validChat,
);

/** How a request body is produced. */
export type BodySpec =
  /** `JSON.stringify(value)`. */
  | { kind: 'json'; value: unknown }
  /** Text as is (broken JSON, odd literals). */
  | { kind: 'text'; text: string }
  /** Raw bytes, invalid UTF-8 included; `wrap` puts them inside `{"message":"..."}`. */
  | { kind: 'bytes'; bytes: Uint8Array; wrap: boolean }
  /** A valid `{"message":"aaa..."}` of exactly this many bytes (to probe the body cap). */
  | { kind: 'sized'; total: number }
  /** `depth` nested arrays inside a valid request. */
  | { kind: 'deep'; depth: number }
  | { kind: 'none' };

const brokenJson = fc.constantFrom(
  '',
  ' ',
  '{',
  '}',
  '{"message":',
  '{"message":"hi"',
  '{"message":"hi"}}',
  "{'message':'hi'}",
  '{"message":"hi",}',
  '{message:"hi"}',
  '[{"message":"hi"}]',
  'null',
  'true',
  '0',
  '"hi"',
  'NaN',
  '{"message":"hi"} x',
  '\ufeff{"message":"hi"}',
  '{"message":"\\ud800"}',
  '{"message":"\\u0000"}',
  '{"message":"bad \\x escape"}',
  '{"message":"hi","message":""}',
  '{"__proto__":{"message":"hi"}}',
  '{"message":"hi","__proto__":null}',
  '{"message":"hi","constructor":{"prototype":{}}}',
  '{"message":"hi"}\u0000',
  '\u0000{"message":"hi"}',
  '{"message":"hi"}\n\n\n',
);
const numberLiteral = fc.constantFrom(
  '1e400',
  '-1e400',
  '2.0',
  '2e0',
  '0.0e-5',
  '-0',
  '1E1',
  '4096.0',
  '4096.00000000001',
  '4097e0',
  '1.0',
  '0',
  '0.9999999999999999999',
  '2.0000000000000001',
  '3',
  '01',
  '.5',
  '+1',
  '0x10',
  'Infinity',
);

/** Every kind of body a chat endpoint may receive. `cap` is the body limit in bytes. */
export function bodySpec(cap: number): fc.Arbitrary<BodySpec> {
  return fc.oneof(
    { weight: 6, arbitrary: chatObject.map((value): BodySpec => ({ kind: 'json', value })) },
    { weight: 2, arbitrary: junkValue.map((value): BodySpec => ({ kind: 'json', value })) },
    { weight: 2, arbitrary: brokenJson.map((text): BodySpec => ({ kind: 'text', text })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('temperature', 'max_tokens'), numberLiteral)
        .map(([field, literal]): BodySpec => ({ kind: 'text', text: `{"message":"hi","${field}":${literal}}` })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.json(), fc.nat())
        .map(([json, cut]): BodySpec => ({ kind: 'text', text: json.slice(0, cut % (json.length + 1)) })),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary' }).map((text): BodySpec => ({ kind: 'text', text })) },
    {
      weight: 2,
      arbitrary: fc
        .record({ bytes: fc.uint8Array({ maxLength: 64 }), wrap: fc.boolean() })
        .map((spec): BodySpec => ({ kind: 'bytes', ...spec })),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.integer({ min: -3, max: 64 }), fc.constantFrom(1000, cap))
        .map((over): BodySpec => ({ kind: 'sized', total: cap + over })),
    },
    { weight: 1, arbitrary: fc.constantFrom(10, 1000, 20_000).map((depth): BodySpec => ({ kind: 'deep', depth })) },
    { weight: 1, arbitrary: fc.constant<BodySpec>({ kind: 'none' }) },
  );
}

/** The bytes of a body. */
export function bodyBytes(spec: BodySpec): Buffer | undefined {
  switch (spec.kind) {
    case 'json':
      return Buffer.from(JSON.stringify(spec.value) ?? 'undefined');
    case 'text':
      return Buffer.from(spec.text);
    case 'bytes':
      return spec.wrap
        ? Buffer.concat([Buffer.from('{"message":"'), spec.bytes, Buffer.from('"}')])
        : Buffer.from(spec.bytes);
    case 'sized': {
      const frame = Buffer.byteLength('{"message":""}');
      return Buffer.from(`{"message":"${'a'.repeat(Math.max(1, spec.total - frame))}"}`);
    }
    case 'deep':
      return Buffer.from(`{"message":"hi","junk":${'['.repeat(spec.depth)}${']'.repeat(spec.depth)}}`);
    case 'none':
      return undefined;
    default: {
      const unreachable: never = spec;
      return unreachable;
    }
  }
}

/** Header values that are valid HTTP field values: visible ASCII, spaces, tabs, and non-ASCII (sent as UTF-8). */
export const headerValue = fc.oneof(
  fc.string({ unit: char(0x20, 0x7e), maxLength: 40 }),
  fc.string({
    unit: fc.oneof(char(0x21, 0x7e), fc.constantFrom('\t', ' ', 'é', '😀', '\u00a0', '\u2028', '\ufeff', '\u00ff')),
    maxLength: 40,
  }),
  fc.constantFrom('', ' ', 'null', 'undefined', '0', '-1', '%00', '${jndi:ldap://x}', "' OR 1=1 --"),
  fc.integer({ min: 201, max: 8000 }).map((count) => new Big('k', count)),
);

/** True when `value` holds a character HTTP forbids in a header value (a control character other than tab). */
export function hasControlCharacter(value: string): boolean {
  return [...value].some((ch) => {
    const code = ch.charCodeAt(0);
    return (code < 0x20 && code !== 0x09) || code === 0x7f;
  });
}

/** Header values with bytes HTTP forbids (control characters): Node's parser refuses these itself. */
export const forbiddenHeaderValue = fc
  .tuple(
    fc.string({ unit: char(0x20, 0x7e), maxLength: 10 }),
    fc.constantFrom('\u0000', '\u0001', '\u000b', '\u001f', '\u007f', '\r', '\n', '\r\n '),
  )
  .map(([text, control]) => `${text}${control}${text}`);

/** Percent-encodes the UTF-8 bytes of `text` except unreserved characters (lone surrogates become U+FFFD). */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `decodeURIComponent` that keeps malformed input as is, like @koa/router does for params. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** An `Authorization` header and whether it carries the key `key`. */
export interface AuthSpec {
  header?: string | Big;
  valid: boolean;
}

/** True when Node's (trimmed) header value would give the bearer token `key` (mirrors principal.ts, to filter). */
function carriesKey(value: string, key: string): boolean {
  return /^Bearer\s+(\S+)\s*$/i.exec(value.trim())?.[1] === key;
}

/** Authorization headers: the key in several spellings, none, and many wrong ones. */
export function authSpec(key: string): fc.Arbitrary<AuthSpec> {
  const wrong = fc
    .oneof(
      headerValue,
      headerValue.map((value) => `Bearer ${String(value)}`),
      fc.constantFrom(
        key,
        `Basic ${key}`,
        'Bearer',
        'Bearer ',
        `Bearer ${key}x`,
        `Bearer x${key}`,
        `Bearer ${key} ${key}`,
        `Bearer ${key.toUpperCase()}`,
        `Token ${key}`,
        `Bearer "${key}"`,
      ),
    )
    .filter((value) => !carriesKey(String(value), key));
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .constantFrom(`Bearer ${key}`, `bearer ${key}`, `BEARER   ${key}`, `Bearer\t${key}`, `Bearer ${key}  `)
        .map((header) => ({ header, valid: true })),
    },
    { weight: 1, arbitrary: fc.constant({ valid: false }) },
    { weight: 2, arbitrary: wrong.map((header) => ({ header, valid: false })) },
  );
}

/** `Idempotency-Key` values: valid keys (often repeated, so some collide), invalid ones, none. */
export const idempotencyKey = fc.option(
  fc.oneof(
    fc.constantFrom('k1', 'k2', 'retry-7', 'a'.repeat(200)),
    fc.string({ unit: char(0x21, 0x7e), minLength: 1, maxLength: 30 }),
    headerValue,
  ),
  { nil: undefined, freq: 2 },
);

/** Content-Type values (the kit reads every body as UTF-8 JSON whatever they say). */
export const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      '*/*',
      '',
    ),
    headerValue,
  ),
  { nil: undefined, freq: 3 },
);
