/**
 * `maxQueue` bounds the requests that wait, the rate gate's included: with `maxQueue: 0` a
 * request the client cannot send at once — its `rateLimit` budget has no room, or a 429 parked
 * it — fails at once with QUEUE_FULL instead of waiting, as it would for a busy slot. The
 * runtime's clock is moved by hand; the upstream is the testing server.
 */
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../src/testing/index.js';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { clockedPerTest } from './support/manual-clock.js';

const clocked = clockedPerTest();

describe('maxQueue: 0 and the rate gate', () => {
  it('refuses a request over the rate budget at once with QUEUE_FULL, nothing waiting', async () => {
    const server = clocked.own(await startTestServer());
    const rt = await clocked.start({
      baseUrl: server.url,
      maxQueue: 0,
      timeoutMs: 120_000,
      rateLimit: { requestsPerMinute: 1 },
    });
    await rt.request('c', hi);
    const error = await failure(rt.request('c', hi));
    expect(error).toMatchObject({ code: 'QUEUE_FULL', client: 'c' });
    expect(rt.health('c')).toMatchObject({ requests: { queued: 0 }, parkedUntil: null });
    // Nothing was taken from the budget: a minute on, the next request goes at once.
    clocked.clock.advance(60_000);
    await expect(rt.request('c', hi)).resolves.toMatchObject({ client: 'c' });
    expect(server.requests).toBe(2);
  });

  it('refuses a request to a parked client at once with QUEUE_FULL', async () => {
    const server = clocked.own(await startTestServer());
    server.inject({ kind: 'status', status: 429, retryAfter: 5 }, { times: 1 });
    const rt = await clocked.start({ baseUrl: server.url, maxQueue: 0, retry: false });
    expect(await failure(rt.request('c', hi))).toMatchObject({ status: 429 });
    expect(await failure(rt.request('c', hi))).toMatchObject({ code: 'QUEUE_FULL' });
    expect(rt.health('c').requests.queued).toBe(0);
    expect(server.requests).toBe(1);
  });
});
