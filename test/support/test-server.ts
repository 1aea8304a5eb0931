import { createHook } from 'node:async_hooks';
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

/**
 * Counts the live timers of exactly `ms` (so other timers in the process cannot interfere):
 * `count()` now, `stop()` to stop tracking.
 */
export function liveTimersOf(ms: number): { count(): number; stop(): void } {
  const live = new Set<number>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (type === 'Timeout' && (resource as { _idleTimeout?: number })._idleTimeout === ms) {
        live.add(id);
      }
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
  return { count: () => live.size, stop: () => void hook.disable() };
}
