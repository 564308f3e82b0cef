import type { ChatMessage } from '@chatwire/protocol';

import { hashString } from './simulated-random.js';

// Shaped after the pre-tokenizer of OpenAI's cl100k/o200k encodings: contractions, a word with its leading space,
// digits in threes, punctuation runs, newline runs, then leftover spaces. Every character matches some branch, so
// joining the pieces gives back the text.
const PIECE =
  /['’](?:s|t|re|ve|m|ll|d)(?![\p{L}\p{N}])|[^\S\n]?[\p{L}\p{M}]+|\p{N}{1,3}|[^\S\n]?[^\s\p{L}\p{M}\p{N}]+|\n+|[^\S\n]+(?![^\s])|[^\S\n]+/gu;

const LONG_WORD = 11;
const CAMEL_BOUNDARY = /(?<=\p{Ll})(?=\p{Lu})/u;

/**
 * Splits text into the pieces a BPE tokenizer would plausibly stream: mostly a leading space plus a word,
 * punctuation on its own, newlines as their own tokens, long words in two or three parts. Pure: the same text always
 * gives the same pieces, and `pieces.join('')` is the text.
 *
 * @example
 * splitIntoTokens('Hello, world!\n'); // ['Hello', ',', ' world', '!', '\n']
 */
export function splitIntoTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const match of text.matchAll(PIECE)) {
    const piece = match[0];
    if (/[\p{L}]/u.test(piece)) tokens.push(...splitWord(piece));
    else tokens.push(piece);
  }
  return tokens;
}

/**
 * Estimates what a chat model would bill as prompt tokens: about four characters a token, plus the few tokens of
 * role markup each message costs, plus the tokens that prime the reply.
 *
 * @example
 * estimatePromptTokens([{ role: 'user', content: 'Hi' }]); // 8
 */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let total = 3;
  for (const message of messages) total += 4 + Math.max(1, Math.ceil(message.content.length / 4));
  return total;
}

function splitWord(piece: string): string[] {
  const characters = Array.from(piece);
  const body = piece.trimStart();
  const camelParts = body.split(CAMEL_BOUNDARY);
  if (camelParts.length > 1 && body.length >= 6) return mergeIntoAtMost(withLeadingSpace(piece, camelParts), 3);
  if (Array.from(body).length < LONG_WORD) return [piece];
  // Cut points depend only on the word, so a word splits the same way wherever it appears.
  const hash = hashString(piece);
  const parts = characters.length >= 14 && hash % 3 !== 0 ? 3 : 2;
  const cuts: number[] = [];
  for (let part = 1; part < parts; part++) {
    const even = Math.round((characters.length * part) / parts);
    cuts.push(even + ((hash >>> (part * 4)) % 3) - 1);
  }
  const pieces: string[] = [];
  let start = 0;
  for (const cut of [...cuts, characters.length]) {
    pieces.push(characters.slice(start, cut).join(''));
    start = cut;
  }
  return pieces.filter((part) => part.length > 0);
}

function withLeadingSpace(piece: string, parts: string[]): string[] {
  const leading = piece.slice(0, piece.length - piece.trimStart().length);
  const [first = '', ...rest] = parts;
  return [leading + first, ...rest];
}

function mergeIntoAtMost(parts: string[], most: number): string[] {
  if (parts.length <= most) return parts;
  return [...parts.slice(0, most - 1), parts.slice(most - 1).join('')];
}
