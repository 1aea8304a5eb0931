export { anthropic } from './anthropic.js';
export { ollama } from './ollama.js';
export { openAiError, openai } from './openai.js';
export type { Completion, ErrorAnswer, StreamEvent, WireFormat } from './shared.js';
export { buildChoices, countWords, isCount, isRecord, statusMessage } from './shared.js';
