import { STOPWORDS } from './simulated-vocabulary.js';

/**
 * Up to three words of a prompt that look like its subject: acronyms and names first, then the longest, in prompt
 * order. Only letters, digits and inner hyphens survive, so the words are safe inside prose and code samples.
 *
 * @example
 * pickTopicWords('Explain how SSE differs from WebSocket'); // ['SSE', 'WebSocket']
 */
export function pickTopicWords(prompt: string): string[] {
  const candidates: { word: string; score: number; order: number }[] = [];
  const seen = new Set<string>();
  for (const match of prompt.matchAll(/[\p{L}\p{N}][\p{L}\p{N}-]*/gu)) {
    const word = match[0].replace(/-+$/, '').slice(0, 24);
    const lower = word.toLowerCase();
    const acronym = /^\p{Lu}{2,}$/u.test(word);
    if (seen.has(lower) || STOPWORDS.has(lower) || /^[\p{N}-]+$/u.test(word) || (word.length < 3 && !acronym)) continue;
    seen.add(lower);
    const before = previousVisibleCharacter(prompt, match.index);
    const sentenceStart = before === '' || /[.!?:]/.test(before);
    const innerCapital = /.\p{Lu}/u.test(word);
    const name = /^\p{Lu}/u.test(word) && !sentenceStart;
    candidates.push({
      word: innerCapital || name ? word : lower,
      score: (innerCapital ? 3 : 0) + (name ? 2 : 0) + Math.min(word.length, 10) / 10,
      order: candidates.length,
    });
  }
  return candidates
    .sort((left, right) => right.score - left.score || left.order - right.order)
    .slice(0, 3)
    .sort((left, right) => left.order - right.order)
    .map((candidate) => candidate.word);
}

/**
 * Joins topic words as English: `a`, `a and b`, `a, b and c`; `this` when there are none.
 *
 * @example
 * topicPhrase(['SSE', 'WebSocket']); // 'SSE and WebSocket'
 */
export function topicPhrase(words: string[]): string {
  if (words.length === 0) return 'this';
  if (words.length === 1) return words[0] ?? 'this';
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
}

// Scans back instead of slicing, so a 100,000-character prompt stays linear.
function previousVisibleCharacter(text: string, index: number): string {
  let position = index - 1;
  while (position >= 0 && /\s/.test(text.charAt(position))) position--;
  return position >= 0 ? text.charAt(position) : '';
}
