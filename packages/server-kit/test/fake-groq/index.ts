export {
  startFakeGroq,
  type FakeGroq,
  type FakeGroqOptions,
  type FakeGroqOutcome,
  type FakeGroqRequest,
} from './start-fake-groq.js';
export type { FakeGroqReply } from './replies.js';
export {
  DECOMMISSIONED_MODELS,
  DEFAULT_MODELS,
  DEFAULT_TOKENS,
  FAKE_GROQ_API_KEY,
  type FakeGroqModel,
} from './fixtures.js';
