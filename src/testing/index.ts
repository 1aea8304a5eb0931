/**
 * Test utilities: a local, fault-injecting, OpenAI-compatible chat-completions server.
 *
 * @packageDocumentation
 */
export { startTestServer } from './server.js';
export type {
  FaultRule,
  TestChatRequest,
  TestFault,
  TestServer,
  TestServerOptions,
} from './server.js';
