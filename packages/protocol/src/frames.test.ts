import { describe, expect, it } from 'vitest';
import { parseClientFrame } from './frame-parser.js';
import { isRunEventFrame } from './frames.js';

describe('parseClientFrame', () => {
  it('parses chat frames with their tags into a normalised request', () => {
    expect(
      parseClientFrame(JSON.stringify({ type: 'chat', request_id: 'r1', idempotency_key: 'k', message: 'hi' })),
    ).toEqual({
      ok: true,
      value: {
        type: 'chat',
        request_id: 'r1',
        idempotency_key: 'k',
        request: { messages: [{ role: 'user', content: 'hi' }] },
      },
    });
  });

  it('parses cancel, resume (after defaults to -1) and ping', () => {
    expect(parseClientFrame('{"type":"cancel","id":"abc_-1"}')).toEqual({
      ok: true,
      value: { type: 'cancel', id: 'abc_-1' },
    });
    expect(parseClientFrame('{"type":"resume","id":"abc"}')).toEqual({
      ok: true,
      value: { type: 'resume', id: 'abc', after: -1 },
    });
    expect(parseClientFrame('{"type":"resume","id":"abc","after":7}')).toEqual({
      ok: true,
      value: { type: 'resume', id: 'abc', after: 7 },
    });
    expect(parseClientFrame('{"type":"ping"}')).toEqual({ ok: true, value: { type: 'ping' } });
  });

  it.each([
    ['not json', 'invalid_json', 'JSON'],
    ['[1]', 'invalid_request', 'object'],
    ['{"type":"dance"}', 'invalid_request', 'type'],
    ['{"message":"no type"}', 'invalid_request', 'type'],
    ['{"type":"chat"}', 'invalid_request', 'exactly one'],
    ['{"type":"chat","message":"x","request_id":5}', 'invalid_request', 'request_id'],
    ['{"type":"cancel","id":"../etc"}', 'invalid_request', 'id'],
    ['{"type":"resume","id":"a","after":-2}', 'invalid_request', 'after'],
    ['{"type":"resume","id":"a","after":"3"}', 'invalid_request', 'after'],
  ])('refuses %s with %s naming %s', (text, code, where) => {
    const result = parseClientFrame(text);
    expect(result).toMatchObject({ ok: false, error: { code } });
    if (!result.ok) expect(result.error.message).toContain(where);
  });

  it('tells run events from other server frames', () => {
    expect(isRunEventFrame({ id: 'a', seq: 0, type: 'start', model: 'm', created_at: '' })).toBe(true);
    expect(isRunEventFrame({ type: 'error', code: 'not_found', message: 'x', retryable: false })).toBe(false);
    expect(isRunEventFrame({ type: 'pong' })).toBe(false);
  });
});
