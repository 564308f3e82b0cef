import { describe, expect, it } from 'vitest';
import { errorFromResponse, parseRetryAfter } from './http-client.js';

const origin = 'http://chat.example';

describe('errorFromResponse', () => {
  it('reads the protocol error body, preferring its retry_after_ms to the Retry-After header', async () => {
    const body = { error: { code: 'rate_limited', message: 'slow down', retryable: true, retry_after_ms: 1500 } };
    const error = await errorFromResponse(
      Response.json(body, { status: 429, headers: { 'retry-after': '9' } }),
      origin,
    );
    expect(error).toMatchObject({
      name: 'ChatError',
      code: 'rate_limited',
      message: 'slow down',
      status: 429,
      retryable: true,
      retryAfterMs: 1500,
    });
  });

  it('falls back to Retry-After when the body has no delay', async () => {
    const body = { error: { code: 'overloaded', message: 'busy', retryable: true } };
    const error = await errorFromResponse(
      Response.json(body, { status: 503, headers: { 'retry-after': '2' } }),
      origin,
    );
    expect(error).toMatchObject({ code: 'overloaded', retryAfterMs: 2000 });
  });

  it('names the server when the answer is not the protocol', async () => {
    const notFound = await errorFromResponse(new Response('<h1>Not Found</h1>', { status: 404 }), origin);
    expect(notFound).toMatchObject({ code: 'not_found', status: 404, retryable: false });
    expect(notFound.message).toBe('http://chat.example answered HTTP 404 (is this a chatwire server?)');
    const gateway = await errorFromResponse(new Response('bad gateway', { status: 502 }), origin);
    expect(gateway).toMatchObject({ code: 'bad_response', status: 502, retryable: true });
    const teapot = await errorFromResponse(new Response('', { status: 418 }), origin);
    expect(teapot).toMatchObject({ code: 'bad_response', retryable: false });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores garbage', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
