/**
 * The log line of each failed upstream attempt: a warning with the request id, the client, the
 * attempt, the code and the delay before the next one (none after the last); at most one a
 * second per code, the repeats counted into a summary line.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { fakeableClock, runtimePerTest } from './support/runtime.js';

let server: TestServer | undefined;
const runtimes = runtimePerTest(async () => {
  await server?.close();
  server = undefined;
});

function sink(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('a failed attempt', () => {
  it('is logged as a warning with req, client, attempt, code and delay', async () => {
    server = await startTestServer();
    const { logger, lines } = sink();
    const rt = await runtimes.start({
      logger,
      clients: {
        gpt: {
          provider: 'openai',
          model: 'm',
          baseUrl: server.url,
          retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
        },
      },
    });
    server.inject({ kind: 'status', status: 500 }, { times: 1 });
    await rt.request('gpt', [{ role: 'user', content: 'hi' }], { requestId: 'r-1' });
    const attempts = lines.filter((l) => l.msg === 'attempt failed: PROVIDER_ERROR');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({
      level: 40,
      req: 'r-1',
      client: 'gpt',
      attempt: 1,
      code: 'PROVIDER_ERROR',
    });
    expect(attempts[0]!.delay).toBeGreaterThanOrEqual(0);
  });

  it('is logged without a delay when no attempt follows, at most once a second per code', async () => {
    vi.useFakeTimers();
    server = await startTestServer();
    const { logger, lines } = sink();
    const rt = await runtimes.start({
      logger,
      clock: fakeableClock,
      clients: {
        gpt: {
          provider: 'openai',
          model: 'm',
          baseUrl: server.url,
          retry: false,
          cache: false,
          fuse: { maxFailures: 100 },
        },
      },
    });
    server.inject({ kind: 'status', status: 500 });
    for (let i = 0; i < 5; i++) {
      await rt.request('gpt', [{ role: 'user', content: `q${i}` }]).catch(() => undefined);
    }
    const first = lines.filter((l) => l.msg === 'attempt failed: PROVIDER_ERROR');
    expect(first).toHaveLength(1);
    expect(first[0]).not.toHaveProperty('delay');
    vi.advanceTimersByTime(1_000);
    const summary = lines.find((l) => String(l.msg).startsWith('attempt failed: PROVIDER_ERROR ('));
    expect(summary).toMatchObject({ level: 40, suppressed: 4, code: 'PROVIDER_ERROR' });
  });
});
