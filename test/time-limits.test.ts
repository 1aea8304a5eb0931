/**
 * Client time limits: `firstTokenTimeoutMs` (no headers — a stream: no first delta — in time is
 * a TIMEOUT that counts against the fuse and is retried) and `idleTimeoutMs` (a body or stream
 * silent mid-way is a NETWORK_ERROR: retried before the first delta, the stream's end after).
 * The runtime's clock is moved by hand; the upstreams are real local servers.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createRuntime, type ClientConfig, type Runtime } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { hang, hi, testDriver } from './support/driver.js';
import { failure } from './support/failure.js';
import { clockedPerTest, until } from './support/manual-clock.js';
import {
  openaiAnswer,
  openaiChunk,
  openaiUsage,
  rawUpstream,
  type RawUpstream,
} from './support/raw-upstream.js';

let server: TestServer | undefined;
let raw: RawUpstream | undefined;
const clocked = clockedPerTest();

const start = (config: Partial<ClientConfig>): Promise<Runtime> => clocked.start(config);

async function collect(s: AsyncIterable<{ text: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of s) out.push(chunk.text);
  return out;
}

describe('firstTokenTimeoutMs', () => {
  it('ends an attempt without headers in time with TIMEOUT, counts it on the fuse and retries', async () => {
    server = clocked.own(await startTestServer({ reply: () => 'second try' }));
    server.inject({ kind: 'hang' }, { times: 1 });
    const rt = await start({ baseUrl: server.url, firstTokenTimeoutMs: 1_000 });
    const pending = rt.request('c', hi);
    await server.waitForRequests(1);
    clocked.clock.advance(999);
    expect(server.requests).toBe(1);
    clocked.clock.advance(1);
    // The retry waits its backoff (half of 250 ms) on the same clocked.clock.
    await until(() => clocked.clock.pending > 1);
    clocked.clock.advance(125);
    await expect(pending).resolves.toMatchObject({ text: 'second try' });
    expect(server.requests).toBe(2);
    expect(rt.health('c').fuse.failures).toBe(1);
  });

  it('fails with TIMEOUT naming the limit once no attempt is left', async () => {
    server = clocked.own(await startTestServer());
    server.inject({ kind: 'hang' });
    const rt = await start({ baseUrl: server.url, firstTokenTimeoutMs: 500, retry: false });
    const pending = failure(rt.request('c', hi));
    await server.waitForRequests(1);
    clocked.clock.advance(500);
    const error = await pending;
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true, client: 'c' });
    expect(error.message).toContain('firstTokenTimeoutMs');
    expect(error.message).toContain('response headers');
    expect(rt.health('c').fuse.failures).toBe(1);
  });

  it('waits for the first delta of a stream, not only its headers, then retries', async () => {
    server = clocked.own(await startTestServer({ reply: () => 'all of it' }));
    // Headers and the role event at once, the first word a minute later.
    server.inject({ kind: 'trickle', chunkDelayMs: 60_000 }, { times: 1 });
    const rt = await start({ baseUrl: server.url, firstTokenTimeoutMs: 1_000 });
    const s = rt.stream('c', hi);
    const chunks = collect(s);
    await server.waitForRequests(1);
    clocked.clock.advance(1_000);
    await until(() => server!.requests === 2 || clocked.clock.pending > 1);
    clocked.clock.advance(125);
    expect((await chunks).join('')).toBe('all of it');
    await expect(s.completion).resolves.toMatchObject({ text: 'all of it', finishReason: 'stop' });
    expect(server.requests).toBe(2);
    expect(rt.health('c').fuse.failures).toBe(1);
  });

  it('lets a stream whose first delta came in time run past the limit', async () => {
    raw = clocked.own(
      await rawUpstream((res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(openaiChunk({ content: 'one' }));
        // The rest comes once the test has moved the clock past the limit.
        setTimeout(() => {
          res.end(
            openaiChunk({ content: ' two' }, 'stop') + openaiUsage(1, 2) + 'data: [DONE]\n\n',
          );
        }, 50);
      }),
    );
    const rt = await start({ baseUrl: raw.url, firstTokenTimeoutMs: 100 });
    const s = rt.stream('c', hi);
    const it = s[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ text: 'one' });
    clocked.clock.advance(10_000);
    expect((await it.next()).value).toMatchObject({ text: ' two' });
    await expect(s.completion).resolves.toMatchObject({ text: 'one two' });
  });

  it('bounds a driver call that honours its signal', async () => {
    const d = testDriver((req, n) => (n === 1 ? hang(req) : { text: 'late but fine' }));
    const rt = await start({ ...d.config, firstTokenTimeoutMs: 2_000 });
    const pending = rt.request('c', hi);
    await until(() => d.calls.length === 1);
    clocked.clock.advance(2_000);
    await until(() => clocked.clock.pending > 1);
    clocked.clock.advance(125);
    await expect(pending).resolves.toMatchObject({ text: 'late but fine' });
    expect(d.calls[0]!.signal.aborted).toBe(true);
  });
});

describe('idleTimeoutMs', () => {
  it('retries a body that falls silent mid-way with NETWORK_ERROR counted on the fuse', async () => {
    raw = clocked.own(
      await rawUpstream((res, _body, n) => {
        const body = openaiAnswer('whole');
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        if (n === 1) res.write(body.slice(0, 10));
        else res.end(body);
      }),
    );
    const rt = await start({ baseUrl: raw.url, idleTimeoutMs: 3_000 });
    const pending = rt.request('c', hi);
    await until(() => raw!.calls === 1);
    // The first ten bytes arrived: the silence counts from them.
    await new Promise((resolve) => setTimeout(resolve, 20));
    clocked.clock.advance(2_999);
    expect(raw.calls).toBe(1);
    clocked.clock.advance(1);
    await until(() => clocked.clock.pending > 1);
    clocked.clock.advance(125);
    await expect(pending).resolves.toMatchObject({ text: 'whole' });
    expect(raw.calls).toBe(2);
    expect(rt.health('c').fuse.failures).toBe(1);
  });

  it('ends a stream silent after its first delta with NETWORK_ERROR, without a retry', async () => {
    raw = clocked.own(
      await rawUpstream((res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(openaiChunk({ content: 'half' }));
      }),
    );
    const rt = await start({ baseUrl: raw.url, idleTimeoutMs: 5_000 });
    const s = rt.stream('c', hi);
    const seen: string[] = [];
    const ended = failure(
      (async () => {
        for await (const chunk of s) {
          seen.push(chunk.text);
          clocked.clock.advance(5_000);
        }
      })(),
    );
    const error = await ended;
    expect(seen).toEqual(['half']);
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
    expect(error.message).toContain('idleTimeoutMs');
    expect(raw.calls).toBe(1);
    await failure(s.completion);
  });

  it("waits a stream's first delta by firstTokenTimeoutMs, not idleTimeoutMs", async () => {
    let opened: ServerResponse | undefined;
    raw = clocked.own(
      await rawUpstream((res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(openaiChunk({ role: 'assistant', content: '' }));
        opened = res;
      }),
    );
    const rt = await start({
      baseUrl: raw.url,
      firstTokenTimeoutMs: 60_000,
      idleTimeoutMs: 5_000,
      retry: false,
    });
    const s = rt.stream('c', hi);
    const chunks = collect(s);
    await until(() => opened !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // A model thinking for 20 s before its first token: within its first-token limit.
    clocked.clock.advance(20_000);
    opened!.end(openaiChunk({ content: 'thought it over' }, 'stop') + 'data: [DONE]\n\n');
    expect((await chunks).join('')).toBe('thought it over');
    expect(raw.calls).toBe(1);
  });

  it('does not take keep-alive comments for progress: a stream that sends only those is silent', async () => {
    let opened: ServerResponse | undefined;
    raw = clocked.own(
      await rawUpstream((res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(openaiChunk({ content: 'half' }));
        opened = res;
      }),
    );
    const rt = await start({ baseUrl: raw.url, idleTimeoutMs: 5_000, retry: false });
    const s = rt.stream('c', hi);
    const seen: string[] = [];
    const ended = failure(
      (async () => {
        for await (const chunk of s) seen.push(chunk.text);
      })(),
    );
    await until(() => seen.length === 1);
    clocked.clock.advance(3_000);
    opened!.write(': keep-alive\n\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    clocked.clock.advance(2_000);
    const error = await ended;
    expect(error).toMatchObject({ code: 'NETWORK_ERROR' });
    expect(error.message).toContain('idleTimeoutMs');
  });

  it('takes a stream silent after its finish reason as whole, with the usage it sent', async () => {
    raw = clocked.own(
      await rawUpstream((res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(openaiChunk({ content: 'all ' }) + openaiChunk({ content: 'of it' }, 'stop'));
        res.write(openaiUsage(4, 3));
      }),
    );
    const rt = await start({ baseUrl: raw.url, idleTimeoutMs: 5_000, retry: false });
    const s = rt.stream('c', hi);
    const chunks = collect(s);
    await until(() => raw!.calls === 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    clocked.clock.advance(5_000);
    expect((await chunks).join('')).toBe('all of it');
    await expect(s.completion).resolves.toMatchObject({
      text: 'all of it',
      finishReason: 'stop',
      usage: { promptTokens: 4, completionTokens: 3 },
    });
    expect(rt.health('c').fuse.failures).toBe(0);
  });

  it('does not count the time a slow reader leaves the stream unread', async () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i} `);
    raw = clocked.own(
      await rawUpstream((res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(
          words.map((w) => openaiChunk({ content: w })).join('') +
            openaiChunk({}, 'stop') +
            'data: [DONE]\n\n',
        );
      }),
    );
    const rt = await start({ baseUrl: raw.url, idleTimeoutMs: 1_000, timeoutMs: 120_000 });
    const s = rt.stream('c', hi);
    const it = s[Symbol.asyncIterator]();
    const first = await it.next();
    // The reader falls far behind: the transport pauses, and that silence is not the provider's.
    await until(() => rt.health('c').requests.inFlight === 1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    clocked.clock.advance(60_000);
    const rest: string[] = [first.value.text];
    for (let next = await it.next(); !next.done; next = await it.next()) rest.push(next.value.text);
    expect(rest.join('')).toBe(words.join(''));
  });
});

describe('configuration', () => {
  it.each([
    ['firstTokenTimeoutMs', 0],
    ['firstTokenTimeoutMs', 1.5],
    ['idleTimeoutMs', -1],
    ['idleTimeoutMs', '1000'],
  ])('refuses %s = %j with INVALID_CONFIG naming the field', async (field, value) => {
    const error = await failure(
      createRuntime({
        logger: false,
        clients: { c: { provider: 'openai', model: 'm', [field]: value } as ClientConfig },
      }),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain(`clients.c.${field}`);
  });
});
