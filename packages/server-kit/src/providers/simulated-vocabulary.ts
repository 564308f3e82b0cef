/**
 * The phrase book of the simulated model. Slots: `{topic}` (words from the user's message), `{word}` (one of
 * them), `{term}` and `{other}` (two different {@link TERMS}), `{label}` (one of {@link LABELS}), `{number}` (a small
 * integer). The odd accent, dash, curly quote and emoji are deliberate: real models emit them and every transport must
 * carry them.
 */

/** First sentences; they name the topic so an answer visibly responds to its prompt. */
export const OPENINGS = [
  'Good question — {topic} comes up a lot once an app talks to a model over the network.',
  "Here's how I'd think about {topic}.",
  "Sure! Let's break {topic} down step by step.",
  'Short version: {topic} comes down to how bytes flow between the client and the server.',
  '{topic} can look simple until you run it in production.',
  'Great topic. To explain {topic}, it helps to start with what happens on the wire.',
  'Happy to help with {topic}; there are a few moving parts worth separating.',
] as const;

/** Whole answers to a greeting or a thank-you, 20 to 60 tokens each. */
export const SHORT_REPLIES = [
  "Hi! 👋 I'm a simulated model running offline, so nothing here comes from a real LLM — but the tokens stream just like one. What would you like to talk about?",
  'Hello! I can explain streaming, APIs, networking or whatever else is on your mind. What should we dig into first?',
  "Hey there! Ask me anything — I'm the offline stand-in for a real model, handy for demos and tests.",
  "You're welcome! If anything else comes up, just ask; I'm happy to go deeper or try a different angle.",
  'Hi! Tell me what you are building — a chat UI, an API or a CLI — and I will sketch how the pieces fit together.',
] as const;

/** Body sentences; paragraphs are three to five of these. */
export const SENTENCES = [
  'The key idea is that {term} and {other} solve different problems.',
  'In practice, {term} matters more than it first appears, because {other} can hide a lot of latency.',
  'When {term} fails, the client should retry with backoff instead of hammering the server.',
  'A common mistake is to treat {word} as if {term} were free — it rarely is.',
  'Under the hood, {term} moves bytes through {other}, and every hop can buffer them.',
  "If you measure it, you'll usually find that {term} dominates the time to first token.",
  "That's why most production setups put {term} in front of {other}.",
  'For {topic}, the simplest approach that works is usually the right one to start with.',
  'It helps to separate what the user sees from what actually travels over the wire.',
  'Think of {term} as a contract: both sides agree on the format, and everything else is an implementation detail.',
  'Streaming changes the picture: the user sees the first words almost immediately, even if the full answer takes seconds.',
  'With {word}, the tricky part is not the happy path but what happens when a connection drops halfway.',
  'Proxies such as nginx may buffer responses unless you tell them not to, which quietly breaks streaming.',
  'You can think of {term} as the “slow path” and {other} as the “fast path”.',
  'Most of the time {term} is invisible; you only notice it when {other} misbehaves.',
  "Keep an eye on {term}: it's the first thing to check when {word} feels slow.",
  'A naïve implementation works on localhost and falls over behind a corporate proxy.',
  'The trade-off is simplicity versus control; for {topic}, the right balance depends on your traffic.',
  'Browsers cap the number of open connections per host, so {term} can become a bottleneck.',
  'Each event should carry a sequence number, so a client that reconnects can ask for what it missed.',
  'Timeouts deserve explicit values; the defaults are often either far too short or effectively infinite.',
  'If {word} has to work on mobile networks, assume the connection will drop and design for resuming.',
  'Logging {term} with a request id makes debugging {word} dramatically easier.',
  'Nothing here is specific to one framework — the same ideas apply whether you use Koa, Express or Fastify.',
  "It's tempting to optimise {term} early, but measuring first saves a lot of guesswork.",
  'Cancellation should flow end to end: when the user closes the tab, the upstream request should stop too.',
  'Roughly speaking, {term} costs a few milliseconds, while {other} can cost hundreds.',
  'A good rule of thumb: make {term} idempotent, and retries become safe.',
  'The résumé of a run — its events so far — is what lets a client pick up where it left off.',
  'In other words, {word} is less about speed and more about predictability.',
  'Security-wise, never let {term} leak upstream secrets into logs or error messages.',
  'Backpressure matters too: if the client reads slowly, {term} should not buffer without limit.',
  'Compared with polling, a push-based design saves round trips but holds {term} open for the whole answer.',
  'Tests should cover the unhappy paths — slow clients, dropped sockets and upstream errors — not just the demo.',
  'There are about {number} ways to get this wrong, and most of them involve {term}.',
  'A delay under {number}0 ms feels instant; above roughly 300 ms, people start to notice.',
  'The "obvious" fix of adding a bigger timeout usually just moves the problem somewhere else.',
  'Once {term} is in place, {other} becomes much easier to reason about.',
] as const;

/** Noun phrases that fill `{term}` and `{other}`. */
export const TERMS = [
  'the connection',
  'a reverse proxy',
  'backpressure',
  'the event loop',
  'an idempotency key',
  'HTTP/2 multiplexing',
  'a keep-alive ping',
  'the TCP window',
  'a retry with jittered backoff',
  'the load balancer',
  'chunked transfer encoding',
  'the client buffer',
  'TLS termination',
  'the request timeout',
  'a message queue',
  'JSON parsing',
  'an `AbortSignal`',
  'the `Last-Event-ID` header',
  'the `EventSource` API',
  'a sequence number',
  'the upstream API',
  'a heartbeat',
] as const;

/** Bold labels for list items and headings. */
export const LABELS = [
  'Latency',
  'Reliability',
  'Simplicity',
  'Compatibility',
  'Cost',
  'Observability',
  'Resumability',
  'Security',
  'Ordering',
  'Backpressure',
] as const;

/** Lines that introduce a bulleted list. */
export const LIST_INTROS = [
  'Here are the main points:',
  'A few things to keep in mind:',
  'In short:',
  'What to watch for:',
] as const;

/** Lines that introduce a numbered list. */
export const STEP_INTROS = ['The steps look like this:', 'A typical flow:', 'In order:'] as const;

/** Bullet items; about half get a bold `{label}` prefix. */
export const LIST_ITEMS = [
  '{term} decides how quickly the first token arrives',
  'every reconnect should resume from the last sequence number',
  '{term} needs an explicit timeout',
  'errors are events too, so the client can render them in place',
  'proxies and CDNs may buffer unless told otherwise',
  '{word} should degrade gracefully when {term} is unavailable',
  'cancellation must reach the upstream model, not just the browser',
  'keep payloads small; {term} adds overhead per message',
  'measure before tuning — {term} is rarely where you expect the time to go',
] as const;

/** Numbered steps. */
export const STEPS = [
  'Validate the request before starting any work.',
  'Open the connection and send the request with an idempotency key.',
  'Read events as they arrive and append each token to the answer.',
  'Handle an `error` event by showing the message and offering a retry.',
  'Stop reading when you see `done`, then close the connection.',
  'If the connection drops, reconnect and ask for events after the last seq.',
  'Log the run id on both sides so you can trace {word} end to end.',
] as const;

/** Fenced code blocks with the line that introduces them; `hint` says which prompts prefer one. `{slug}` is a topic word. */
export const SNIPPETS = [
  {
    hint: /\b(?:typescript|javascript|ts|js|fetch|node)\b/i,
    intro: 'For example, in TypeScript:',
    code: [
      '```ts',
      "const response = await fetch('/api/sse/chat', {",
      "  method: 'POST',",
      "  headers: { 'content-type': 'application/json' },",
      "  body: JSON.stringify({ message: 'Tell me about {slug}' }),",
      '});',
      'for await (const chunk of response.body!) {',
      "  process.stdout.write(new TextDecoder().decode(chunk) + '\\n');",
      '}',
      '```',
    ].join('\n'),
  },
  {
    hint: /\b(?:shell|bash|curl|command|terminal|cli)\b/i,
    intro: 'You can try it from a shell:',
    code: [
      '```sh',
      'curl -N -X POST http://localhost:3000/api/sse/chat \\',
      "  -H 'content-type: application/json' \\",
      '  -d \'{"message":"explain {slug}"}\'',
      '```',
    ].join('\n'),
  },
  {
    hint: /\b(?:sse|event-stream|eventsource|wire|format)\b/i,
    intro: 'On the wire, a stream looks like this:',
    code: [
      '```text',
      ': keep-alive',
      '',
      'event: token',
      'id: 3',
      'data: {"type":"token","seq":3,"text":" {slug}"}',
      '```',
    ].join('\n'),
  },
  {
    hint: /\b(?:cancel|abort|timeout|client|websocket|ws)\b/i,
    intro: "Here's a minimal example:",
    code: [
      '```ts',
      'const controller = new AbortController();',
      'setTimeout(() => controller.abort(), 30_000);',
      "const answer = await client.chat({ message: '{slug}', mode: 'ws', signal: controller.signal });",
      'console.log(answer.text);',
      '```',
    ].join('\n'),
  },
  {
    hint: /\b(?:json|frame|payload|body|schema)\b/i,
    intro: 'The request itself is plain JSON:',
    code: ['```json', '{ "type": "chat", "request_id": "r1", "message": "{slug}", "max_tokens": 256 }', '```'].join(
      '\n',
    ),
  },
] as const;

/** Last lines. */
export const CLOSINGS = [
  "Hope that helps — let me know if you'd like me to go deeper on {topic}.",
  'If you share more about your setup, I can tailor this to it.',
  'In short: get {term} right, and {word} mostly takes care of itself.',
  'Happy to walk through a concrete example next. 🚀',
  "That's the gist; the details depend on your constraints.",
] as const;

/** Words that never make a topic: function words and the verbs people use to ask. */
export const STOPWORDS = new Set(
  (
    'a an the and or but if then of to in on at for from by with about into over under how what why when where which ' +
    'who whom whose is are was were be been being do does did done can could would should will shall may might must ' +
    'i me my you your we our us they them their it its this that these those there here please explain describe tell ' +
    'show give list detail details detailed compare write make help want need know like just some any more most very ' +
    'really also vs versus between difference differences differ differs work works working use using used get hi ' +
    'hello hey thanks thank ok okay so not no yes all each other than as up out one two three step steps way ways ' +
    'example examples snippet sample tip tips thing things stuff something code call calls calling writing'
  ).split(' '),
);
