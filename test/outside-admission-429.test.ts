/**
 * A 429 (or 503) whose named wait is nothing — `Retry-After: 0`, an HTTP date already past,
 * `retry-after-ms: 0` — parks nothing, so it must not be treated as a park: it counts against
 * the fuse like a 429 without a time, and a retry after it (or after Anthropic's 529, overloaded)
 * still waits at least half the base delay rather than coming back at once. The runtime's clock is moved by hand; the upstreams
 * are real local servers.
 */
import { describe, expect, it } from 'vitest';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { clockedPerTest, ManualClock, settle, until } from './support/manual-clock.js';
import { runtimePerTest } from './support/runtime.js';
import { rawUpstream } from './support/raw-upstream.js';

const clocked = clockedPerTest();
const runtimes = runtimePerTest();

const PAST = new Date(Date.UTC(2025, 0, 1)).toUTCString();

/** An upstream that answers every request with `status` and `headers`. */
async function busy(status: number, headers: Record<string, string>) {
  return clocked.own(
    await rawUpstream((res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ error: { message: 'busy', type: 'rate_limit_error' } }));
    }),
  );
}

describe('a 429 that names no wait', () => {
  it.each([
    ['Retry-After: 0', { 'retry-after': '0' }],
    ['a Retry-After date already past', { 'retry-after': PAST }],
    ['retry-after-ms: 0', { 'retry-after-ms': '0' }],
  ])(
    'with %s parks nothing and melts the fuse like a 429 without a time',
    async (_name, headers) => {
      const raw = await busy(429, headers);
      const rt = await clocked.start({ baseUrl: raw.url, retry: false, fuse: { maxFailures: 2 } });
      for (let i = 0; i < 2; i++) {
        expect(await failure(rt.request('c', hi))).toMatchObject({ status: 429 });
      }
      expect(rt.health('c')).toMatchObject({ parkedUntil: null, fuse: { state: 'open' } });
      expect((await failure(rt.request('c', hi))).code).toBe('FUSE_OPEN');
      expect(raw.calls).toBe(2);
    },
  );
});

/** A hand-moved clock whose jitter draws 0: a full-jitter retry would go at once. */
class NoJitter extends ManualClock {
  override random(): number {
    return 0;
  }
}

describe('a retry after a busy provider', () => {
  it.each([
    [429, { 'retry-after': '0' }],
    [429, { 'retry-after': PAST }],
    [503, { 'retry-after': '0' }],
    [529, {}],
  ])('after a %i with %j waits at least half the base delay', async (status, headers) => {
    const raw = await busy(status, headers);
    const clock = new NoJitter();
    const rt = await runtimes.start({
      clock,
      clients: {
        c: {
          provider: 'openai',
          model: 'gpt',
          baseUrl: raw.url,
          cache: false,
          retry: { maxAttempts: 2, baseDelayMs: 1_000, maxDelayMs: 10_000 },
        },
      },
    });
    const pending = failure(rt.request('c', hi));
    await until(() => raw.calls === 1);
    // The retry sleeps on the runtime clock: nothing goes before half of 1 000 ms.
    await until(() => clock.pending > 1);
    clock.advance(499);
    await settle();
    expect(raw.calls).toBe(1);
    clock.advance(1);
    await until(() => raw.calls === 2);
    expect(await pending).toMatchObject({ status });
  });
});
