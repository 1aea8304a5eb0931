/**
 * Test utilities: a local, fault-injecting chat server speaking the OpenAI chat-completions,
 * Anthropic Messages and Ollama chat wire formats, streamed or not.
 *
 * @packageDocumentation
 */
export { startTestServer } from './server.js';
export { freePort } from './ports.js';
export type {
  FaultRule,
  TestChatFormat,
  TestChatRequest,
  TestFault,
  TestServer,
  TestServerOptions,
} from './types.js';
