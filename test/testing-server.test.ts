import { request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { describe, expect, it, vi } from 'vitest';
import type { TestChatRequest } from '../src/testing/index.js';
import { liveTimersOf, serverPerTest } from './support/test-server.js';

const { start, current, dispatcher } = serverPerTest();

const hello = { model: 'gpt-x', messages: [{ role: 'user', content: 'hello there' }] };

function post(
  body: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
) {
  return request(`${current().url}/chat/completions`, {
    method: 'POST',
    dispatcher: dispatcher(),
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: init.signal,
  });
}

async function status(body: unknown = hello): Promise<number> {
  const res = await post(body);
  await res.body.dump();
  return res.statusCode;
}

describe('startTestServer', () => {
  it('binds port 0 to a free port and exposes url and origin', async () => {
    const s = await start();
    expect(s.port).toBeGreaterThan(0);
    expect(s.origin).toBe(`http://127.0.0.1:${s.port}`);
    expect(s.url).toBe(`${s.origin}/v1`);
  });

  it('brackets an IPv6 host in the url', async () => {
    const s = await start({ host: '::1' });
    expect(s.url).toBe(`http://[::1]:${s.port}/v1`);
    expect(await status()).toBe(200);
  });

  it('answers in the exact OpenAI chat completion shape with word-count usage', async () => {
    await start({ model: 'served-model' });
    const before = Math.floor(Date.now() / 1000);
    const res = await post({
      model: 'gpt-x',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello there' },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const json = (await res.body.json()) as Record<string, unknown>;
    expect(json).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'served-model',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'echo: hello there' },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 },
    });
    expect(json.created).toBeGreaterThanOrEqual(before);
  });

  it('also serves the route without the /v1 prefix', async () => {
    const s = await start();
    const res = await request(`${s.origin}/chat/completions`, {
      method: 'POST',
      dispatcher: dispatcher(),
      body: JSON.stringify(hello),
    });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { object: string }).object).toBe('chat.completion');
  });

  it('echoes the last user message by default', async () => {
    await start();
    const res = await post({
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'reply' },
        { role: 'user', content: 'second' },
      ],
    });
    const json = (await res.body.json()) as { choices: Array<{ message: { content: string } }> };
    expect(json.choices[0]!.message.content).toBe('echo: second');
  });

  it('uses the reply option, then the one given to setReply, with the parsed request', async () => {
    const seen: TestChatRequest[] = [];
    const s = await start({
      reply: (req) => {
        seen.push(req);
        return 'from options';
      },
    });
    const content = async (): Promise<string> => {
      const res = await post(
        { ...hello, temperature: 0.5, max_tokens: 10 },
        { headers: { 'x-a': '1' } },
      );
      const json = (await res.body.json()) as { choices: Array<{ message: { content: string } }> };
      return json.choices[0]!.message.content;
    };
    expect(await content()).toBe('from options');
    expect(seen[0]).toMatchObject({ model: 'gpt-x', temperature: 0.5, max_tokens: 10 });
    expect(seen[0]!.headers['x-a']).toBe('1');
    expect(seen[0]!.body).toEqual({ ...hello, temperature: 0.5, max_tokens: 10 });
    s.setReply(async () => 'from setReply');
    expect(await content()).toBe('from setReply');
    s.setReply(undefined);
    expect(await content()).toBe('echo: hello there');
  });

  it('returns n choices with the content suffixed #i after the first', async () => {
    await start({ reply: () => 'a b' });
    const res = await post({ ...hello, n: 3 });
    const json = (await res.body.json()) as {
      choices: Array<{ index: number; message: { content: string } }>;
      usage: { completion_tokens: number };
    };
    expect(json.choices.map((c) => [c.index, c.message.content])).toEqual([
      [0, 'a b'],
      [1, 'a b #1'],
      [2, 'a b #2'],
    ]);
    expect(json.usage.completion_tokens).toBe(8);
  });

  it('cuts a reply longer than max_tokens words and reports finish_reason length', async () => {
    await start({ reply: () => 'one two  three four' });
    const cut = await post({ ...hello, max_tokens: 2 });
    const json = (await cut.body.json()) as {
      choices: Array<{ message: { content: string }; finish_reason: string }>;
      usage: { completion_tokens: number };
    };
    expect(json.choices[0]).toMatchObject({
      message: { content: 'one two' },
      finish_reason: 'length',
    });
    expect(json.usage.completion_tokens).toBe(2);
    const whole = await post({ ...hello, max_tokens: 4 });
    const full = (await whole.body.json()) as typeof json;
    expect(full.choices[0]!.finish_reason).toBe('stop');
  });

  it('answers 400 with an OpenAI error to invalid JSON and to a missing messages array', async () => {
    const s = await start();
    for (const body of ['{not json', JSON.stringify({ model: 'm' }), '[]']) {
      const res = await post(body);
      expect(res.statusCode).toBe(400);
      const json = (await res.body.json()) as { error: Record<string, unknown> };
      expect(json.error).toEqual({
        message: expect.any(String),
        type: 'invalid_request_error',
        code: null,
      });
    }
    expect(s.requests).toBe(0);
  });

  it('answers 401 without the bearer api key and 200 with it', async () => {
    await start({ apiKey: 'sk-test' });
    const denied = await post(hello, { headers: { authorization: 'Bearer wrong' } });
    expect(denied.statusCode).toBe(401);
    expect(((await denied.body.json()) as { error: { code: string } }).error.code).toBe(
      'invalid_api_key',
    );
    expect(await status()).toBe(401);
    const ok = await post(hello, { headers: { authorization: 'Bearer sk-test' } });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
  });

  it('lists the model on GET /v1/models and answers 404 elsewhere', async () => {
    const s = await start({ model: 'mine' });
    const models = await request(`${s.url}/models`, { dispatcher: dispatcher() });
    expect(await models.body.json()).toEqual({
      object: 'list',
      data: [{ id: 'mine', object: 'model', created: 0, owned_by: 'llm-actors-testing' }],
    });
    const missing = await request(`${s.url}/embeddings`, {
      method: 'POST',
      dispatcher: dispatcher(),
    });
    expect(missing.statusCode).toBe(404);
    expect(((await missing.body.json()) as { error: { message: string } }).error.message).toMatch(
      /embeddings/,
    );
  });
});

describe('faults', () => {
  it('status sends the status, retry-after headers and a default OpenAI error body', async () => {
    const s = await start();
    s.inject({ kind: 'status', status: 429, retryAfter: 2, retryAfterMs: 1500 });
    const res = await post(hello);
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.headers['retry-after-ms']).toBe('1500');
    expect(await res.body.json()).toEqual({
      error: { message: expect.stringContaining('429'), type: 'rate_limit_exceeded', code: null },
    });
    expect(s.stats).toEqual({
      requests: 1,
      ok: 0,
      faults: expect.objectContaining({ status: 1, reset: 0 }),
    });
  });

  it('status sends a custom body verbatim', async () => {
    const s = await start();
    s.inject({ kind: 'status', status: 503, body: 'overloaded' });
    const res = await post(hello);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(await res.body.text()).toBe('overloaded');
  });

  it('reset makes the client request fail with a socket error', async () => {
    const s = await start();
    s.inject({ kind: 'reset' });
    await expect(post(hello)).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNRESET|UND_ERR_SOCKET/),
    });
    expect(s.stats.faults.reset).toBe(1);
  });

  it('hang never answers, the client abort works, and close() still resolves', async () => {
    const s = await start();
    s.inject({ kind: 'hang' });
    const controller = new AbortController();
    const pending = post(hello, { signal: controller.signal });
    await s.waitForRequests(1);
    const settled = vi.fn();
    pending.then(settled, settled);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).not.toHaveBeenCalled();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(s.stats.faults.hang).toBe(1);
    await s.close();
  });

  it('latency clears its timer when the client aborts', async () => {
    const s = await start();
    const ms = 59_999;
    s.inject({ kind: 'latency', ms });
    const timers = liveTimersOf(ms);
    try {
      const req = httpRequest(`${s.url}/chat/completions`, { method: 'POST' });
      req.on('error', () => {});
      req.end(JSON.stringify(hello));
      await s.waitForRequests(1);
      expect(timers.count()).toBe(1);
      req.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(timers.count()).toBe(0);
    } finally {
      timers.stop();
    }
  });

  it('malformed answers 200 application/json with a body that is not JSON', async () => {
    const s = await start();
    s.inject({ kind: 'malformed' });
    const res = await post(hello);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const text = await res.body.text();
    expect(text.length).toBeGreaterThan(0);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it('truncated sends headers, then the body read fails', async () => {
    const s = await start({ reply: () => 'x'.repeat(2000) });
    s.inject({ kind: 'truncated' });
    const res = await post(hello);
    expect(res.statusCode).toBe(200);
    expect(Number(res.headers['content-length'])).toBeGreaterThan(2000);
    await expect(res.body.text()).rejects.toThrow();
    expect(s.stats.ok).toBe(0);
  });

  it('latency delays a normal answer by real time even under fake timers', async () => {
    const s = await start();
    s.inject({ kind: 'latency', ms: 150 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const started = performance.now();
    const res = await post(hello);
    const json = (await res.body.json()) as { choices: Array<{ message: { content: string } }> };
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(json.choices[0]!.message.content).toBe('echo: hello there');
    expect(s.stats).toMatchObject({ requests: 1, ok: 1, faults: { latency: 1 } });
  });

  it('trickle delivers the full body in slow small chunks', async () => {
    const s = await start({ reply: () => 'y'.repeat(40) });
    s.inject({ kind: 'trickle', chunkDelayMs: 5, chunkBytes: 64 });
    const started = performance.now();
    const res = await post(hello);
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const json = JSON.parse(text) as { choices: Array<{ message: { content: string } }> };
    expect(json.choices[0]!.message.content).toBe('y'.repeat(40));
    const expectedChunks = Math.ceil(Buffer.byteLength(text) / 64);
    expect(chunks.length).toBeGreaterThan(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual((expectedChunks - 1) * 5 - 2);
    expect(s.stats).toMatchObject({ ok: 1, faults: { trickle: 1 } });
  });
});

describe('fault rules', () => {
  it('times applies to the next N requests, then normal answers resume', async () => {
    const s = await start();
    s.inject({ kind: 'status', status: 500 }, { times: 2 });
    expect([await status(), await status(), await status(), await status()]).toEqual([
      500, 500, 200, 200,
    ]);
    expect(s.stats).toMatchObject({ requests: 4, ok: 2, faults: { status: 2 } });
  });

  it('checks rules in the order added and the first that applies wins', async () => {
    const s = await start();
    s.inject({ kind: 'status', status: 502 }, { times: 1 });
    s.inject({ kind: 'status', status: 503 });
    expect([await status(), await status()]).toEqual([502, 503]);
    s.clearFaults();
    expect(await status()).toBe(200);
  });

  it('probability 0 never applies and probability 1 always applies', async () => {
    const s = await start();
    s.inject({ kind: 'status', status: 500 }, { probability: 0 });
    expect([await status(), await status(), await status()]).toEqual([200, 200, 200]);
    s.inject({ kind: 'status', status: 429 }, { probability: 1 });
    expect([await status(), await status(), await status()]).toEqual([429, 429, 429]);
  });

  it('seed makes probability rules reproducible', async () => {
    const s = await start();
    s.inject({ kind: 'status', status: 500 }, { probability: 0.5 });
    const run = async (): Promise<number[]> => {
      const codes: number[] = [];
      for (let i = 0; i < 24; i++) codes.push(await status());
      return codes;
    };
    s.seed(42);
    const first = await run();
    s.seed(42);
    expect(await run()).toEqual(first);
    expect(first).toContain(200);
    expect(first).toContain(500);
    s.seed(7);
    expect(await run()).not.toEqual(first);
  });

  it('rejects invalid times and probability', async () => {
    const s = await start();
    expect(() => s.inject({ kind: 'reset' }, { times: 0 })).toThrow(RangeError);
    expect(() => s.inject({ kind: 'reset' }, { probability: 1.5 })).toThrow(RangeError);
  });
});

describe('bookkeeping and shutdown', () => {
  it('waitForRequests resolves once enough requests arrived, immediately if already', async () => {
    const s = await start();
    const done = vi.fn();
    const waiting = s.waitForRequests(2).then(done);
    await status();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(done).not.toHaveBeenCalled();
    await status();
    await waiting;
    expect(done).toHaveBeenCalledOnce();
    await expect(s.waitForRequests(1)).resolves.toBeUndefined();
    expect(s.requests).toBe(2);
    expect(s.lastRequest()?.messages).toEqual(hello.messages);
  });

  it('counts accepted connections, reused by a keep-alive client', async () => {
    const s = await start();
    const pooled = new Agent({ connections: 1 });
    const get = async (dispatcher: Agent): Promise<void> => {
      const res = await request(`${s.url}/models`, { dispatcher });
      await res.body.dump();
    };
    try {
      for (let i = 0; i < 3; i++) await get(pooled);
      expect(s.connections).toBe(1);
      await get(dispatcher());
      expect(s.connections).toBe(2);
    } finally {
      await pooled.close();
    }
  });

  it('close() with a hung request resolves quickly, is idempotent and rejects waiters', async () => {
    const s = await start();
    s.inject({ kind: 'hang' });
    const pending = post(hello).catch((err: unknown) => err);
    await s.waitForRequests(1);
    const waiter = s.waitForRequests(5);
    const started = performance.now();
    await Promise.all([s.close(), s.close()]);
    expect(performance.now() - started).toBeLessThan(500);
    await expect(waiter).rejects.toThrow(/closed/);
    expect(await pending).toBeInstanceOf(Error);
    await s.close();
  });

  it('close() destroys idle keep-alive sockets and stops a pending latency timer', async () => {
    const s = await start();
    expect(await status()).toBe(200);
    s.inject({ kind: 'latency', ms: 60_000 });
    const pending = post(hello).catch((err: unknown) => err);
    await s.waitForRequests(2);
    const started = performance.now();
    await s.close();
    expect(performance.now() - started).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(Error);
    expect(s.stats.ok).toBe(1);
  });
});
