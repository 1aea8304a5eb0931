/**
 * Test utilities: a local, fault-injecting chat server speaking the OpenAI chat-completions,
 * Anthropic Messages and Ollama chat wire formats, streamed or not, answering with text or with
 * scripted answers (tool calls, reasoning, JSON, usage extras).
 *
 * @packageDocumentation
 */
export { startTestServer } from './server.js';
export { freePort } from './ports.js';
export type {
  ScriptedAnswer,
  ScriptedFinishReason,
  ScriptedToolCall,
  TestTool,
  TestToolCall,
} from './scripted-types.js';
export type {
  FaultRule,
  TestChatMessage,
  TestChatFormat,
  TestChatRequest,
  TestFault,
  TestScript,
  TestServer,
  TestServerOptions,
} from './types.js';
