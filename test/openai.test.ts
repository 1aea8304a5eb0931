import { Writable } from 'node:stream';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ClientConfig, Runtime } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

const KEY = 'sk-test-SENTINEL-0123456789abcdef';
const hi = [{ role: 'user' as const, content: 'hi' }];

let server: TestServer;
let logs: string[];

const runtimes = runtimePerTest(async () => {
  await server.close();
  expect(logs.join('')).not.toContain(KEY);
});

function openai(extra: Partial<ClientConfig> = {}): ClientConfig {
  return {
    provider: 'openai',
    baseUrl: server.url,
    model: 'gpt-test',
    apiKey: KEY,
    retry: { baseDelayMs: 1, maxDelayMs: 50 },
    ...extra,
  } as ClientConfig;
}

async function start(clients: Record<string, ClientConfig>): Promise<Runtime> {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  return runtimes.start({ clients, logger: pino({ level: 'trace' }, sink) });
}

beforeEach(async () => {
  logs = [];
  server = await startTestServer({ apiKey: KEY });
});

describe('openai provider', () => {
  it('sends a Chat Completions request and normalizes the answer', async () => {
    const rt = await start({ gpt: openai() });
    const res = await rt.request('gpt', hi, {
      temperature: 0,
      maxTokens: 20,
      stop: ['\n'],
      seed: 7,
    });
    expect(res).toMatchObject({
      text: 'echo: hi',
      finishReason: 'stop',
      model: 'test-model',
      client: 'gpt',
      cacheHit: false,
      usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
    });
    expect(res.latencyMs).toBeGreaterThan(0);
    const sent = server.lastRequest()!;
    expect(sent.body).toMatchObject({
      model: 'gpt-test',
      messages: hi,
      temperature: 0,
      max_tokens: 20,
      stop: ['\n'],
      seed: 7,
    });
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('maps finish_reason length and several choices', async () => {
    server.setReply(() => 'one two three four five');
    const rt = await start({ gpt: openai() });
    const res = await rt.request('gpt', hi, { maxTokens: 2, extra: { n: 2 } });
    expect(res.finishReason).toBe('length');
    expect(res.choices).toHaveLength(2);
    expect(res.choices![1]).toMatchObject({ finishReason: 'length' });
  });

  it('reuses pooled connections across requests', async () => {
    const rt = await start({ gpt: openai({ maxConcurrency: 2 }) });
    for (let i = 0; i < 5; i++) {
      await rt.request('gpt', [{ role: 'user', content: `n${i}` }], { cache: false });
    }
    expect(server.requests).toBe(5);
    expect(server.connections).toBeLessThanOrEqual(2);
  });

  it('retries a 503 and honours retry-after-ms', async () => {
    server.inject({ kind: 'status', status: 503, retryAfterMs: 30 }, { times: 1 });
    const rt = await start({ gpt: openai() });
    const res = await rt.request('gpt', hi);
    expect(res.text).toBe('echo: hi');
    expect(server.requests).toBe(2);
    expect(res.latencyMs).toBeGreaterThanOrEqual(25);
  });

  it('reports a 401 as a non-retryable PROVIDER_ERROR without the key in it', async () => {
    const rt = await start({ gpt: openai({ apiKey: `${KEY}-wrong` }) });
    const error = await failure(rt.request('gpt', hi));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 401, retryable: false });
    expect(rt.health('gpt').fuse.failures).toBe(0);
    expect(JSON.stringify({ ...error.toJSON(), cause: String(error.cause) })).not.toContain(KEY);
    expect(JSON.stringify(rt.health('gpt'))).not.toContain(KEY);
    expect(JSON.stringify(rt.history('gpt'))).not.toContain(KEY);
  });

  it('scrubs the key when the provider echoes it back', async () => {
    server.inject({
      kind: 'status',
      status: 400,
      body: JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}` } }),
    });
    const rt = await start({ gpt: openai() });
    const error = await failure(rt.request('gpt', hi));
    expect(error.message).toContain('[REDACTED]');
    expect(error.message).not.toContain(KEY);
    expect(error.body).not.toContain(KEY);
  });

  it('types a reset connection as NETWORK_ERROR after the retries', async () => {
    server.inject({ kind: 'reset' });
    const rt = await start({ gpt: openai() });
    const error = await failure(rt.request('gpt', hi));
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
    expect(server.requests).toBe(3);
    expect(rt.health('gpt').fuse.failures).toBe(3);
  });

  it('types a malformed body as BAD_RESPONSE', async () => {
    server.inject({ kind: 'malformed' });
    const rt = await start({ gpt: openai() });
    expect((await failure(rt.request('gpt', hi))).code).toBe('BAD_RESPONSE');
    expect(server.requests).toBe(1);
  });

  it('types a truncated body as a retryable NETWORK_ERROR', async () => {
    server.inject({ kind: 'truncated' });
    const rt = await start({ gpt: openai({ retry: false }) });
    expect((await failure(rt.request('gpt', hi))).code).toBe('NETWORK_ERROR');
  });

  it('times out a hung server at the deadline and frees the connection', async () => {
    server.inject({ kind: 'hang' }, { times: 1 });
    const rt = await start({ gpt: openai({ timeoutMs: 200, maxConcurrency: 1 }) });
    const error = await failure(rt.request('gpt', hi));
    expect(error.code).toBe('TIMEOUT');
    // A generous deadline for the follow-up: it only fails if the hung connection was kept.
    const next = rt.request('gpt', [{ role: 'user', content: 'next' }], { timeoutMs: 10_000 });
    await expect(next).resolves.toMatchObject({
      text: 'echo: next',
    });
  });

  it('melts the fuse on 500s and fails fast afterwards without touching the server', async () => {
    server.inject({ kind: 'status', status: 500 });
    const rt = await start({ gpt: openai({ retry: false, fuse: { maxFailures: 2 } }) });
    await failure(rt.request('gpt', [{ role: 'user', content: 'a' }]));
    await failure(rt.request('gpt', [{ role: 'user', content: 'b' }]));
    const error = await failure(rt.request('gpt', [{ role: 'user', content: 'c' }]));
    expect(error.code).toBe('FUSE_OPEN');
    expect(server.requests).toBe(2);
  });

  it('reports an unreachable provider as NETWORK_ERROR', async () => {
    const closed = await startTestServer();
    const url = closed.url;
    await closed.close();
    const rt = await start({ gpt: openai({ baseUrl: url, retry: false }) });
    expect((await failure(rt.request('gpt', hi))).code).toBe('NETWORK_ERROR');
  });
});
