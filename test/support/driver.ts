/**
 * Driver clients for tests: the backend is a function of the test's, and every call is recorded.
 */
import type { DriverClientConfig, DriverRequest } from '../../src/index.js';

/** What a test's backend returns for one call. */
export interface Answer {
  text: string;
  promptTokens?: number;
  completionTokens?: number;
}

/** A driver client config plus the calls it received. */
export interface TestDriver {
  config: DriverClientConfig<Answer>;
  calls: DriverRequest[];
}

/** A driver client whose backend is `handler` (default: echoes the last message). */
export function testDriver(
  handler: (req: DriverRequest, n: number) => Answer | Promise<Answer> = (req) => ({
    text: `echo: ${req.messages.at(-1)?.content}`,
  }),
  extra: Partial<DriverClientConfig<Answer>> = {},
): TestDriver {
  const calls: DriverRequest[] = [];
  return {
    calls,
    config: {
      provider: 'driver',
      model: 'test-model',
      request: (req) => {
        calls.push(req);
        return handler(req, calls.length);
      },
      output: (raw) => ({
        text: raw.text,
        usage: { promptTokens: raw.promptTokens ?? 2, completionTokens: raw.completionTokens ?? 3 },
      }),
      ...extra,
    },
  };
}

/** A backend call that never answers until its signal aborts (then it rejects like fetch). */
export function hang(req: DriverRequest): Promise<Answer> {
  return new Promise((_, reject) => {
    req.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
}

/** An error as an HTTP backend would throw it. */
export function httpFailure(status: number, message = `HTTP ${status}`): Error {
  return Object.assign(new Error(message), { status });
}

/** A promise whose settlement the test controls. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The one user message most tests send. */
export const hi = [{ role: 'user' as const, content: 'hi' }];
