/**
 * A testing server per test, and an undici agent of its own, both closed after each test (and
 * real timers restored), for the tests of `llm-actors/testing` itself.
 */
import { Agent } from 'undici';
import { afterEach, beforeEach, vi } from 'vitest';
import {
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from '../../src/testing/index.js';

/**
 * Registers the hooks; `start` starts this test's server, `current` is that server,
 * `dispatcher` this test's agent.
 */
export function serverPerTest(): {
  start(options?: TestServerOptions): Promise<TestServer>;
  current(): TestServer;
  dispatcher(): Agent;
} {
  let server: TestServer | undefined;
  let agent: Agent;
  beforeEach(() => {
    agent = new Agent();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await server?.close();
    server = undefined;
    await agent.destroy();
  });
  return {
    start: async (options = {}) => (server = await startTestServer(options)),
    current() {
      if (server === undefined) throw new Error('no testing server started in this test');
      return server;
    },
    dispatcher: () => agent,
  };
}
