import type { ChatMessage } from '@chatwire/protocol';

import { createSeededRandom, hashString, type SeededRandom } from './simulated-random.js';
import { splitIntoTokens } from './simulated-tokens.js';
import { pickTopicWords, topicPhrase } from './simulated-topic.js';
import {
  CLOSINGS,
  LABELS,
  LIST_INTROS,
  LIST_ITEMS,
  OPENINGS,
  SENTENCES,
  SHORT_REPLIES,
  SNIPPETS,
  STEP_INTROS,
  STEPS,
  TERMS,
} from './simulated-vocabulary.js';

/** What decides a simulated answer. `max_tokens` is left out on purpose: it only cuts the answer short. */
export interface SimulatedAnswerRequest {
  messages: readonly ChatMessage[];
  model: string;
  temperature?: number;
}

const GREETING = /^(?:hi|hello|hey|yo|hiya|howdy|thanks|thank you|ok|okay|cool|good (?:morning|afternoon|evening))\b/i;
const DETAIL =
  /\b(?:explain|detail(?:s|ed)?|describe|compare|list|steps?|why|how|guide|tutorial|in depth|elaborate)\b/i;
const LIST_HINT = /\b(?:list|steps?|bullets?|options|ways|tips|checklist|pros|cons)\b/i;
const STEPS_HINT = /\b(?:steps?|how to|in order|process|flow)\b/i;
const CODE_HINT =
  /\b(?:code|example|snippet|typescript|javascript|script|curl|shell|command|implement|function|json)\b/i;
const CLOSING_RESERVE = 25;

interface Writer {
  random: SeededRandom;
  prompt: string;
  topicWords: string[];
  draw: (deck: keyof typeof DECKS) => string;
}

const DECKS = {
  sentences: SENTENCES,
  labels: LABELS,
  items: LIST_ITEMS,
  listIntros: LIST_INTROS,
  stepIntros: STEP_INTROS,
} as const;

/**
 * The seed of a request: an FNV-1a hash of its canonical JSON, so equal requests hash equally in every process.
 *
 * @example
 * simulatedSeed({ model: 'sim/instant', messages: [{ role: 'user', content: 'hi' }] });
 */
export function simulatedSeed(request: SimulatedAnswerRequest): number {
  const canonical = JSON.stringify([
    request.model,
    request.temperature ?? null,
    request.messages.map((message) => [message.role, message.content]),
  ]);
  return hashString(canonical);
}

/**
 * Writes the simulated model's whole answer to a conversation: markdown-ish English that names the topic of the last
 * user message, sized by the prompt (a greeting gets a line, "explain ..." gets several paragraphs). Deterministic.
 *
 * @example
 * writeSimulatedAnswer({ model: 'sim/instant', messages: [{ role: 'user', content: 'Explain SSE' }] });
 */
export function writeSimulatedAnswer(request: SimulatedAnswerRequest): string {
  const random = createSeededRandom(simulatedSeed(request));
  const prompt = lastPrompt(request.messages).trim();
  const wordCount = (prompt.match(/[\p{L}\p{N}]+/gu) ?? []).length;
  if (wordCount <= 4 && GREETING.test(prompt) && !DETAIL.test(prompt)) return random.pick(SHORT_REPLIES);

  const decks = new Map<string, string[]>();
  const writer: Writer = {
    random,
    prompt,
    topicWords: pickTopicWords(prompt),
    draw(deck) {
      let remaining = decks.get(deck);
      if (!remaining || remaining.length === 0) decks.set(deck, (remaining = random.shuffle(DECKS[deck])));
      return remaining.pop() as string;
    },
  };
  const target = targetTokens(prompt, wordCount, random);
  const sections: string[] = [];
  let used = 0;
  const add = (section: string): void => {
    sections.push(section);
    used += splitIntoTokens(section).length + 1;
  };
  const counts = { lists: 0, code: 0, headings: 0 };
  let lastWasList = false;
  const wantsList = LIST_HINT.test(prompt);
  const wantsCode = CODE_HINT.test(prompt);

  add(fill(random.pick(OPENINGS), writer));
  while (used < target - CLOSING_RESERVE) {
    const remaining = target - CLOSING_RESERVE - used;
    const roll = random.next();
    if (wantsCode && counts.code === 0 && sections.length >= 2) {
      counts.code++;
      add(codeBlock(writer));
    } else if (
      (wantsList && counts.lists === 0) ||
      (roll < 0.2 && counts.lists < 2 && remaining > 40 && !lastWasList)
    ) {
      counts.lists++;
      add(STEPS_HINT.test(prompt) || random.chance(0.4) ? numberedList(writer) : bulletedList(writer));
      lastWasList = true;
      continue;
    } else if (roll < 0.32 && counts.code === 0 && remaining > 50) {
      counts.code++;
      add(codeBlock(writer));
    } else if (roll < 0.42 && target > 350 && counts.headings < 2) {
      counts.headings++;
      add(`### ${writer.draw('labels')}\n\n${paragraph(writer, remaining)}`);
    } else {
      add(paragraph(writer, remaining));
    }
    lastWasList = false;
  }
  add(fill(random.pick(CLOSINGS), writer));
  return sections.join('\n\n');
}

function lastPrompt(messages: readonly ChatMessage[]): string {
  for (let index = messages.length - 1; index >= 0; index--) {
    if (messages[index]?.role === 'user') return messages[index]?.content ?? '';
  }
  return messages.at(-1)?.content ?? '';
}

function targetTokens(prompt: string, wordCount: number, random: SeededRandom): number {
  const detailed = DETAIL.test(prompt);
  if (wordCount <= 3 && !detailed) return random.integer(60, 140);
  const target = random.integer(150, 300) + Math.min(wordCount * 3, 240);
  return Math.min(Math.round(detailed ? target * 1.5 : target), 1000);
}

function fill(template: string, writer: Writer): string {
  const { random, topicWords } = writer;
  const term = random.pick(TERMS);
  const other = random.pick(TERMS.filter((candidate) => candidate !== term));
  const word = topicWords.length > 0 ? random.pick(topicWords) : 'it';
  const filled = template.replace(/\{(topic|word|term|other|label|number|slug)\}/g, (_, slot: string) => {
    switch (slot) {
      case 'topic':
        return topicPhrase(topicWords);
      case 'word':
        return word;
      case 'term':
        return term;
      case 'other':
        return other;
      case 'label':
        return writer.draw('labels');
      case 'number':
        return String(random.integer(3, 12));
      default:
        return topicWords[0] ?? 'streaming';
    }
  });
  return filled.replace(/^\p{Ll}/u, (letter) => letter.toUpperCase());
}

function paragraph(writer: Writer, budget: number): string {
  const sentences: string[] = [];
  let tokens = 0;
  while (sentences.length < 2 || (sentences.length < 5 && tokens < budget && writer.random.chance(0.75))) {
    const sentence = fill(writer.draw('sentences'), writer);
    sentences.push(sentence);
    tokens += splitIntoTokens(sentence).length + 1;
  }
  return sentences.join(' ');
}

function bulletedList(writer: Writer): string {
  const items = Array.from({ length: writer.random.integer(3, 5) }, () => {
    const item = fill(writer.draw('items'), writer);
    return writer.random.chance(0.5) ? `- **${writer.draw('labels')}**: ${item}.` : `- ${item}.`;
  });
  return `${writer.draw('listIntros')}\n${items.join('\n')}`;
}

function numberedList(writer: Writer): string {
  const chosen = writer.random.shuffle(STEPS.map((_, index) => index)).slice(0, writer.random.integer(3, 5));
  const steps = chosen
    .sort((left, right) => left - right)
    .map((index, position) => `${position + 1}. ${fill(STEPS[index] ?? '', writer)}`);
  return `${writer.draw('stepIntros')}\n${steps.join('\n')}`;
}

function codeBlock(writer: Writer): string {
  const snippet = SNIPPETS.find((candidate) => candidate.hint.test(writer.prompt)) ?? writer.random.pick(SNIPPETS);
  return `${snippet.intro}\n\n${fill(snippet.code, writer)}`;
}
