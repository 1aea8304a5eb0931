/**
 * The cache as a gateway caller sees it: `x-llm-actors-client` and `x-llm-actors-cache` on
 * every answer, streamed or not; `Cache-Control: no-cache` reads fresh and stores (the
 * runtime's `cache: 'refresh'`), `no-store` neither; and `GET /v1/models/{id}`.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../src/index.js';
import { startTestServer } from '../src/testing/index.js';
import { gatewayPerTest } from './support/gateway.js';

const gw = gatewayPerTest();
const hi = [{ role: 'user' as const, content: 'hi' }];

describe("the runtime's cache: 'refresh'", () => {
  it('skips the cached answer, asks upstream and stores the fresh one', async () => {
    const upstream = await startTestServer();
    const runtime = await createRuntime({
      clients: { gpt: { provider: 'openai', baseUrl: upstream.url, model: 'm' } },
      logger: false,
    });
    try {
      upstream.enqueue({ text: 'old' }, { text: 'new' });
      expect((await runtime.request('gpt', hi)).text).toBe('old');
      const fresh = await runtime.request('gpt', hi, { cache: 'refresh' });
      expect(fresh).toMatchObject({ text: 'new', cacheHit: false });
      expect(await runtime.request('gpt', hi)).toMatchObject({ text: 'new', cacheHit: true });
      expect(upstream.requests).toBe(2);
      await expect(runtime.request('gpt', hi, { cache: 'x' as never })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
    } finally {
      await runtime.stop();
      await upstream.close();
    }
  });
});

/** A gateway over the testing server, its `gpt` client cached. */
async function start() {
  const upstream = await gw.startUpstream();
  const gateway = await gw.start({
    gpt: { provider: 'openai', baseUrl: upstream.url, model: 'm' },
  });
  return { upstream, url: gateway.url };
}

async function ask(url: string, headers: Record<string, string> = {}, stream = false) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt', messages: hi, stream }),
  });
  const body = await res.text();
  const text = stream
    ? body
        .split('\n\n')
        .filter((e) => e.startsWith('data: {'))
        .map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[] })
        .map((c) => c.choices[0]?.delta.content ?? '')
        .join('')
    : (JSON.parse(body) as { choices: { message: { content: string } }[] }).choices[0]!.message
        .content;
  return {
    text,
    client: res.headers.get('x-llm-actors-client'),
    cache: res.headers.get('x-llm-actors-cache'),
  };
}

describe('cache headers and Cache-Control through the gateway', () => {
  it('names the client and hit or miss on every answer, streamed or not', async () => {
    const { upstream, url } = await start();
    upstream.enqueue({ text: 'one' });
    expect(await ask(url, {}, true)).toEqual({ text: 'one', client: 'gpt', cache: 'miss' });
    expect(await ask(url, {}, true)).toEqual({ text: 'one', client: 'gpt', cache: 'hit' });
    expect(await ask(url)).toEqual({ text: 'one', client: 'gpt', cache: 'hit' });
    expect(upstream.requests).toBe(1);
  });

  it('no-cache reads fresh and stores; no-store neither reads nor stores', async () => {
    const { upstream, url } = await start();
    upstream.enqueue({ text: 'one' }, { text: 'two' }, { text: 'three' });
    expect(await ask(url)).toMatchObject({ text: 'one', cache: 'miss' });
    expect(await ask(url, { 'cache-control': 'no-cache' })).toMatchObject({
      text: 'two',
      cache: 'miss',
    });
    expect(await ask(url)).toMatchObject({ text: 'two', cache: 'hit' });
    expect(await ask(url, { 'cache-control': 'no-store' }, true)).toMatchObject({
      text: 'three',
      cache: 'miss',
    });
    expect(await ask(url)).toMatchObject({ text: 'two', cache: 'hit' });
    expect(upstream.requests).toBe(3);
  });
});

describe('GET /v1/models/{id}', () => {
  it('answers a known client and 404s an unknown one', async () => {
    const { url } = await start();
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    expect(await client.models.retrieve('gpt')).toMatchObject({ id: 'gpt', object: 'model' });
    const error = await client.models.retrieve('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
  });
});
