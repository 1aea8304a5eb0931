/**
 * 429 parking: a 429 that names a time (Retry-After in seconds or as a date, retry-after-ms, the
 * rate-limit reset headers of OpenAI and Anthropic) parks the client until then without
 * melting its fuse; requests wait out the park within their deadline or fail at once with
 * RATE_LIMITED. A quota 429 is not retried and parks the client at least a minute. The
 * runtime's clock is moved by hand; the upstreams are real local servers.
 */
import { describe, expect, it } from 'vitest';
import type { ClientConfig, Runtime } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { clockedPerTest, settle, until } from './support/manual-clock.js';
import { openaiAnswer, rawUpstream, type RawUpstream } from './support/raw-upstream.js';

let server: TestServer | undefined;
let raw: RawUpstream | undefined;
const clocked = clockedPerTest();

const start = (baseUrl: string, config: Partial<ClientConfig> = {}): Promise<Runtime> =>
  clocked.start({ baseUrl, ...config });

const ask = (text: string) => [{ role: 'user' as const, content: text }];

describe('a 429 that names a time', () => {
  it('parks the client without melting its fuse, and the request retries after the park', async () => {
    server = clocked.own(await startTestServer({ reply: () => 'after the pause' }));
    server.inject({ kind: 'status', status: 429, retryAfter: 2 }, { times: 1 });
    const rt = await start(server.url, { fuse: { maxFailures: 1 } });
    const t0 = clocked.clock.now();
    const pending = rt.request('c', hi);
    await until(() => rt.health('c').parkedUntil !== null);
    expect(rt.health('c')).toMatchObject({
      parkedUntil: t0 + 2_000,
      fuse: { state: 'closed', failures: 0 },
    });
    clocked.clock.advance(1_999);
    await settle();
    expect(server.requests).toBe(1);
    clocked.clock.advance(1);
    await expect(pending).resolves.toMatchObject({ text: 'after the pause' });
    expect(server.requests).toBe(2);
    expect(rt.health('c')).toMatchObject({ parkedUntil: null, fuse: { state: 'closed' } });
  });

  it('holds the requests that come while parked, and sends them when the park ends', async () => {
    server = clocked.own(await startTestServer());
    server.inject({ kind: 'status', status: 429, retryAfterMs: 5_000 }, { times: 1 });
    const rt = await start(server.url, { retry: false });
    const first = await failure(rt.request('c', ask('first')));
    expect(first).toMatchObject({ code: 'PROVIDER_ERROR', status: 429, retryAfterMs: 5_000 });
    const second = rt.request('c', ask('second'));
    await settle();
    expect(rt.health('c').requests.queued).toBe(1);
    clocked.clock.advance(4_000);
    await settle();
    expect(server.requests).toBe(1);
    clocked.clock.advance(1_000);
    await expect(second).resolves.toMatchObject({ text: 'echo: second' });
    expect(server.requests).toBe(2);
  });

  it('fails a request at once with RATE_LIMITED when the park ends after its deadline', async () => {
    server = clocked.own(await startTestServer());
    server.inject({ kind: 'status', status: 429, retryAfter: 30 }, { times: 1 });
    const rt = await start(server.url, { retry: false });
    await failure(rt.request('c', ask('first')));
    clocked.clock.advance(10_000);
    const error = await failure(rt.request('c', ask('second'), { timeoutMs: 5_000 }));
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 20_000 });
    expect(server.requests).toBe(1);
    expect(rt.health('c').requests).toMatchObject({ rejected: 1, failed: 1 });
  });

  it('waits out the park in a retry, and gives up when it ends past the deadline', async () => {
    server = clocked.own(await startTestServer());
    server.inject({ kind: 'status', status: 429, retryAfter: 60 }, { times: 1 });
    const rt = await start(server.url, { timeoutMs: 30_000 });
    const error = await failure(rt.request('c', hi));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 429, retryAfterMs: 60_000 });
    expect(server.requests).toBe(1);
  });

  it.each([
    ['retry-after-ms', { 'retry-after-ms': '1500' }, 1_500],
    ['Retry-After in seconds', { 'retry-after': '3' }, 3_000],
    [
      'Retry-After as an HTTP date',
      { 'retry-after': new Date(Date.UTC(2026, 0, 1, 0, 0, 7)).toUTCString() },
      7_000,
    ],
    [
      'OpenAI reset headers (the spent budget)',
      {
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '6m0s',
        'x-ratelimit-remaining-tokens': '900',
        'x-ratelimit-reset-tokens': '1.5s',
      },
      360_000,
    ],
    [
      'OpenAI reset headers (none spent: the earliest)',
      { 'x-ratelimit-reset-requests': '20ms', 'x-ratelimit-reset-tokens': '1m2s' },
      20,
    ],
    [
      'Anthropic reset headers',
      {
        'anthropic-ratelimit-tokens-remaining': '0',
        'anthropic-ratelimit-tokens-reset': new Date(Date.UTC(2026, 0, 1, 0, 0, 42)).toISOString(),
      },
      42_000,
    ],
  ])('reads the time from %s', async (_name, headers, ms) => {
    raw = clocked.own(
      await rawUpstream((res) => {
        res.writeHead(429, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error' } }));
      }),
    );
    const rt = await start(raw.url, { retry: false });
    const t0 = clocked.clock.now();
    const error = await failure(rt.request('c', hi));
    expect(error).toMatchObject({ status: 429, retryAfterMs: ms });
    expect(rt.health('c')).toMatchObject({ parkedUntil: t0 + ms, fuse: { failures: 0 } });
  });

  it('releases a half-open probe that meets it, and the fuse closes on the next probe', async () => {
    server = clocked.own(await startTestServer());
    server.inject({ kind: 'status', status: 500 }, { times: 1 });
    server.inject({ kind: 'status', status: 429, retryAfter: 1 }, { times: 1 });
    const rt = await start(server.url, { retry: false, fuse: { maxFailures: 1, resetMs: 1_000 } });
    await failure(rt.request('c', ask('melts')));
    expect(rt.health('c').fuse.state).toBe('open');
    clocked.clock.advance(1_000);
    expect((await failure(rt.request('c', ask('probe')))).status).toBe(429);
    expect(rt.health('c').fuse).toMatchObject({ state: 'half_open' });
    clocked.clock.advance(1_000);
    await expect(rt.request('c', ask('next probe'))).resolves.toMatchObject({ cacheHit: false });
    expect(rt.health('c').fuse.state).toBe('closed');
  });
});

describe('a 429 without a time', () => {
  it('counts against the fuse and parks nothing', async () => {
    server = clocked.own(await startTestServer());
    server.inject({ kind: 'status', status: 429 }, { times: 1 });
    const rt = await start(server.url, { retry: false });
    await failure(rt.request('c', hi));
    expect(rt.health('c')).toMatchObject({ parkedUntil: null, fuse: { failures: 1 } });
  });
});

describe('a quota 429 (insufficient_quota)', () => {
  const quota = JSON.stringify({
    error: {
      message: 'You exceeded your current quota',
      type: 'insufficient_quota',
      code: 'insufficient_quota',
    },
  });

  it('is not retried, parks the client a minute and leaves the fuse alone', async () => {
    raw = clocked.own(
      await rawUpstream((res) => {
        res.writeHead(429, { 'content-type': 'application/json' });
        res.end(quota);
      }),
    );
    const rt = await start(raw.url);
    const t0 = clocked.clock.now();
    const error = await failure(rt.request('c', hi));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 429, retryable: false });
    expect(raw.calls).toBe(1);
    expect(rt.health('c')).toMatchObject({ parkedUntil: t0 + 60_000, fuse: { failures: 0 } });
    const refused = await failure(rt.request('c', ask('again')));
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 60_000 });
    expect(raw.calls).toBe(1);
  });

  it('parks longer when the provider names a later time', async () => {
    raw = clocked.own(
      await rawUpstream((res) => {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '600' });
        res.end(quota);
      }),
    );
    const rt = await start(raw.url);
    const t0 = clocked.clock.now();
    await failure(rt.request('c', hi));
    expect(rt.health('c').parkedUntil).toBe(t0 + 600_000);
  });
});

describe('a parked client in health', () => {
  it('is never parked before any 429', async () => {
    raw = clocked.own(
      await rawUpstream((res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(openaiAnswer('fine'));
      }),
    );
    const rt = await start(raw.url);
    await rt.request('c', hi);
    expect(rt.health('c').parkedUntil).toBeNull();
  });
});
