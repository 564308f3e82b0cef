import { describe, expect, it } from 'vitest';
import { parseChatRequest } from './request.js';

describe('parseChatRequest', () => {
  it('turns message into one user turn and keeps the options', () => {
    expect(parseChatRequest({ message: 'Hi', model: 'm', temperature: 0, max_tokens: 5, extra: true })).toEqual({
      ok: true,
      value: { messages: [{ role: 'user', content: 'Hi' }], model: 'm', temperature: 0, max_tokens: 5 },
    });
  });

  it('accepts a conversation as messages', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Again' },
    ];
    expect(parseChatRequest({ messages })).toEqual({ ok: true, value: { messages } });
  });

  it.each([
    [null, 'body'],
    [[], 'body'],
    ['text', 'body'],
    [{}, 'exactly one'],
    [{ message: 'a', messages: [{ role: 'user', content: 'b' }] }, 'exactly one'],
    [{ message: '' }, 'message'],
    [{ message: 42 }, 'message'],
    [{ messages: [] }, 'messages'],
    [{ messages: [{ role: 'wizard', content: 'x' }] }, 'messages.0.role'],
    [{ messages: [{ role: 'user' }] }, 'messages.0.content'],
    [{ message: 'x', temperature: 2.5 }, 'temperature'],
    [{ message: 'x', temperature: '1' }, 'temperature'],
    [{ message: 'x', max_tokens: 0 }, 'max_tokens'],
    [{ message: 'x', max_tokens: 1.5 }, 'max_tokens'],
    [{ message: 'x', max_tokens: 5000 }, 'max_tokens'],
    [{ message: 'x', model: '' }, 'model'],
  ])('refuses %j naming %s', (input, where) => {
    const result = parseChatRequest(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('invalid_request');
      expect(result.error.message).toContain(where);
    }
  });

  it('applies the server limits', () => {
    const limits = { maxTokens: 10, maxMessages: 2, maxMessageChars: 5 };
    expect(parseChatRequest({ message: 'x', max_tokens: 11 }, limits).ok).toBe(false);
    expect(parseChatRequest({ message: 'x', max_tokens: 10 }, limits).ok).toBe(true);
    expect(parseChatRequest({ message: '123456' }, limits).ok).toBe(false);
    const three = [1, 2, 3].map(() => ({ role: 'user', content: 'a' }));
    expect(parseChatRequest({ messages: three }, limits).ok).toBe(false);
  });
});
