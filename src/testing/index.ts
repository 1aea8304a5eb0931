/**
 * Test utilities: a local, fault-injecting chat server speaking the OpenAI chat-completions,
 * Anthropic Messages and Ollama chat wire formats, streamed or not, answering with text or with
 * scripted answers (tool calls, reasoning, JSON, usage extras); and failoverbench's sixteen
 * crash-test cells with their scoring.
 *
 * @packageDocumentation
 */
export { startTestServer } from './server.js';
export { freePort } from './ports.js';
export {
  FAILOVERBENCH_ANSWER,
  FAILOVERBENCH_MODELS,
  FAILOVERBENCH_TIMING,
  failoverbench,
  failoverbenchReply,
  startFailoverbenchServers,
  type FailoverbenchCell,
  type FailoverbenchRule,
  type FailoverbenchServer,
  type FailoverbenchTiming,
} from './failoverbench.js';
export {
  scoreFailoverbench,
  seeFailoverbenchChunk,
  type FailoverbenchCall,
  type FailoverbenchChunk,
  type FailoverbenchObservation,
  type FailoverbenchScore,
} from './failoverbench-score.js';
export type { FailoverFault } from './fault-types.js';
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
