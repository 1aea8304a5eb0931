/**
 * A 429 whose wait is absurd — `Retry-After: 1e12` seconds, a date in the year 9999, a
 * `retry-after-ms` of 1e20 — parks its client for at most an hour, not for good: the next
 * request after that hour goes upstream again. The clock is moved by hand.
 */
import { describe, expect, it } from 'vitest';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { clockedPerTest } from './support/manual-clock.js';
import { openaiAnswer, rawUpstream } from './support/raw-upstream.js';

const clocked = clockedPerTest();
const HOUR = 3_600_000;

describe('a 429 naming a wait past an hour', () => {
  it.each([
    ['retry-after', '1e12'],
    ['retry-after', 'Fri, 31 Dec 9999 23:59:59 GMT'],
    ['retry-after-ms', '99999999999999999999'],
  ])('(%s: %s) parks the client one hour, then it is asked again', async (name, value) => {
    const raw = clocked.own(
      await rawUpstream((res, _body, n) => {
        if (n === 1) {
          res.writeHead(429, { 'content-type': 'application/json', [name]: value });
          res.end(JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error' } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(openaiAnswer('back'));
      }),
    );
    const rt = await clocked.start({ baseUrl: raw.url, retry: false });
    const t0 = clocked.clock.now();
    const error = await failure(rt.request('c', hi));
    expect(error).toMatchObject({ status: 429, retryAfterMs: HOUR });
    expect(rt.health('c').parkedUntil).toBe(t0 + HOUR);
    clocked.clock.advance(HOUR);
    await expect(rt.request('c', hi)).resolves.toMatchObject({ text: 'back' });
    expect(raw.calls).toBe(2);
  });
});
