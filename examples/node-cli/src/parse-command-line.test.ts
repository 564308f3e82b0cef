import { describe, expect, it } from 'vitest';
import { parseCommandLine, UsageError } from './parse-command-line.js';

describe('parseCommandLine', () => {
  it('defaults to auto on localhost:8000, taking the URL from CHATWIRE_URL and honouring NO_COLOR', () => {
    expect(parseCommandLine(['What', 'is', 'SSE?'], {})).toEqual({
      kind: 'run',
      options: {
        question: 'What is SSE?',
        mode: 'auto',
        model: undefined,
        url: 'http://localhost:8000',
        system: undefined,
        maxTokens: undefined,
        temperature: undefined,
        compare: false,
        json: false,
        stats: false,
        color: true,
      },
    });
    const parsed = parseCommandLine(['-m', 'ws', '--max-tokens', '12'], {
      CHATWIRE_URL: 'https://chat.example',
      NO_COLOR: '1',
    });
    expect(parsed).toMatchObject({
      kind: 'run',
      options: { question: undefined, mode: 'ws', maxTokens: 12, url: 'https://chat.example', color: false },
    });
    expect(parseCommandLine(['hi', '--mode', 'auto'], {})).toMatchObject({ options: { mode: 'auto' } });
  });

  it.each([
    [['hi', '--mode', 'fax'], '--mode must be one of auto, sync, polling, sse, ws'],
    [['hi', '--url', 'ftp://x'], '--url must be an http:// or https:// URL'],
    [['hi', '--max-tokens', '1.5'], '--max-tokens has an invalid value'],
    [['hi', '--temperature', '3'], '--temperature has an invalid value'],
    [['--compare'], '--compare needs a question'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCommandLine(argv, {})).toThrow(new UsageError(message));
  });

  it('names an unknown option in one line', () => {
    expect(() => parseCommandLine(['--bogus'], {})).toThrow(/^Unknown option '--bogus'/);
  });
});
