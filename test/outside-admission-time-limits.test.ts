/**
 * The client time limits hold for every wire format, not only OpenAI's (test/time-limits.test.ts):
 * an Anthropic or Ollama upstream that never answers, or sends its headers and stream head but
 * no first delta, ends the attempt with TIMEOUT naming `firstTokenTimeoutMs`; one that falls
 * silent after some deltas ends the stream with NETWORK_ERROR naming `idleTimeoutMs`, the
 * delivered deltas kept. The runtime's clock is moved by hand; the upstream is the testing server.
 */
import { describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { clockedPerTest, until } from './support/manual-clock.js';

const clocked = clockedPerTest();

/** The testing server serves Anthropic under `/v1/messages` of its root. */
const baseUrl = (provider: string, server: TestServer) =>
  provider === 'anthropic' ? server.url.replace(/\/v1$/, '') : server.url;

describe.each(['anthropic', 'ollama'] as const)('%s', (provider) => {
  const start = async (limits: { firstTokenTimeoutMs?: number; idleTimeoutMs?: number }) => {
    const server = clocked.own(await startTestServer({ reply: () => 'one two three four' }));
    const runtime = await clocked.start({
      provider,
      baseUrl: baseUrl(provider, server),
      retry: false,
      ...limits,
    } as never);
    return { server, runtime };
  };

  it('ends a request without response headers in time with TIMEOUT (firstTokenTimeoutMs)', async () => {
    const { server, runtime } = await start({ firstTokenTimeoutMs: 1_000 });
    server.inject({ kind: 'hang' });
    const pending = failure(runtime.request('c', hi));
    await server.waitForRequests(1);
    clocked.clock.advance(1_000);
    const error = await pending;
    expect(error).toMatchObject({ code: 'TIMEOUT', client: 'c' });
    expect(error.message).toContain('firstTokenTimeoutMs');
    expect(runtime.health('c').fuse.failures).toBe(1);
  });

  it('ends a stream whose first delta is late with TIMEOUT, though its head came at once', async () => {
    const { server, runtime } = await start({ firstTokenTimeoutMs: 1_000 });
    server.inject({ kind: 'slow_first_token', ms: 60_000 });
    const s = runtime.stream('c', hi);
    const pending = failure(
      (async () => {
        for await (const chunk of s) void chunk;
      })(),
    );
    await server.waitForRequests(1);
    clocked.clock.advance(1_000);
    const error = await pending;
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect(error.message).toContain('no first delta');
    await failure(s.completion);
  });

  it('ends a stream silent after its first deltas with NETWORK_ERROR (idleTimeoutMs)', async () => {
    const { server, runtime } = await start({ idleTimeoutMs: 1_000 });
    server.inject({ kind: 'stream_stall', afterDeltas: 2, ms: 60_000 });
    const s = runtime.stream('c', hi);
    let seen = '';
    const pending = failure(
      (async () => {
        for await (const chunk of s) seen += chunk.text;
      })(),
    );
    await until(() => seen === 'one two ');
    // Let the rest of the two deltas' bytes land before the silence is timed.
    await new Promise((resolve) => setTimeout(resolve, 20));
    clocked.clock.advance(1_000);
    const error = await pending;
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', client: 'c' });
    expect(error.message).toContain('idleTimeoutMs');
    expect(seen).toBe('one two ');
    await failure(s.completion);
  });
});
