/**
 * Runtimes per test: every runtime a test makes through {@link runtimePerTest} is stopped after
 * that test (at once: `stop({ timeoutMs: 0 })`), then real timers are restored and the file's
 * own cleanup runs, in that order.
 */
import { afterEach, vi } from 'vitest';
import { createRuntime, type Clock, type Runtime, type RuntimeConfig } from '../../src/index.js';

export interface RuntimesPerTest {
  /** Creates a runtime (`logger: false` unless `config` says otherwise) stopped after the test. */
  start(config?: RuntimeConfig): Promise<Runtime>;
  /** Stops, at once, every runtime this test has started so far (before removing its files). */
  stopAll(): Promise<void>;
}

/**
 * Registers an `afterEach` that stops every runtime started in the test, restores real timers,
 * then runs `after` (the file's other cleanup, such as closing the upstream the runtimes call).
 */
export function runtimePerTest(after?: () => unknown): RuntimesPerTest {
  const started: Runtime[] = [];
  const stopAll = async () => {
    await Promise.all(started.splice(0).map((runtime) => runtime.stop({ timeoutMs: 0 })));
  };
  afterEach(async () => {
    try {
      await stopAll();
    } finally {
      vi.useRealTimers();
      await after?.();
    }
  });
  return {
    async start(config = {}) {
      const runtime = await createRuntime({ logger: false, ...config });
      started.push(runtime);
      return runtime;
    },
    stopAll,
  };
}

/**
 * A clock read from the globals on each call (so `vi.useFakeTimers()` drives it), with jitter
 * pinned to half the backoff.
 */
export const fakeableClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  random: () => 0.5,
};
