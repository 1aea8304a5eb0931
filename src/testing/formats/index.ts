export { anthropic } from './anthropic.js';
export { ollama } from './ollama.js';
export { openAiError, openai } from './openai.js';
export type {
  ChoiceText,
  Completion,
  ErrorAnswer,
  StreamEvent,
  WireFormat,
  WireToolCall,
} from './shared.js';
export {
  buildChoices,
  countWords,
  isCount,
  isRecord,
  splitDeltas,
  statusMessage,
} from './shared.js';
