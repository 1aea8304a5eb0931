import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import type { TestChatRequest } from '../src/testing/index.js';
import { serverPerTest } from './support/test-server.js';

const { start, current, dispatcher } = serverPerTest();

const VERSION = { 'anthropic-version': '2023-06-01' };
const userHi = [{ role: 'user', content: 'hello there' }];

async function call(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; json: any }> {
  const res = await request(`${current().origin}${path}`, {
    method: 'POST',
    dispatcher: dispatcher(),
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: JSON.parse(text) };
}

const anthropic = (body: unknown, headers: Record<string, string> = VERSION) =>
  call('/v1/messages', body, headers);
const ollama = (body: unknown, headers: Record<string, string> = {}) =>
  call('/api/chat', body, headers);

describe('Anthropic Messages route', () => {
  it('answers in the exact Messages shape with word-count usage', async () => {
    await start({ model: 'served-model' });
    const res = await anthropic({
      model: 'claude-x',
      max_tokens: 100,
      system: 'be brief',
      messages: userHi,
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json).toEqual({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'served-model',
      content: [{ type: 'text', text: 'echo: hello there' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 4, output_tokens: 3 },
    });
  });

  it('normalizes system prompts and content blocks for reply, also without /v1', async () => {
    const seen: TestChatRequest[] = [];
    const s = await start({
      reply: (req) => {
        seen.push(req);
        return 'ok';
      },
    });
    const res = await call(
      '/messages',
      {
        model: 'claude-x',
        max_tokens: 5,
        temperature: 0.2,
        system: [
          { type: 'text', text: 'rule one' },
          { type: 'text', text: 'rule two' },
        ],
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a ' },
              { type: 'text', text: 'b' },
            ],
          },
          { role: 'assistant', content: 'c' },
          { role: 'user', content: 'd' },
        ],
      },
      VERSION,
    );
    expect(res.json.content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(seen[0]).toMatchObject({
      format: 'anthropic',
      model: 'claude-x',
      temperature: 0.2,
      max_tokens: 5,
      stream: false,
      messages: [
        { role: 'system', content: 'rule one' },
        { role: 'system', content: 'rule two' },
        { role: 'user', content: 'a b' },
        { role: 'assistant', content: 'c' },
        { role: 'user', content: 'd' },
      ],
    });
    expect(seen[0]!.headers['anthropic-version']).toBe('2023-06-01');
    expect(s.lastRequest()).toBe(seen[0]);
  });

  it('cuts the reply at max_tokens words with stop_reason max_tokens', async () => {
    await start({ reply: () => 'one two  three four' });
    const cut = await anthropic({ max_tokens: 2, messages: userHi });
    expect(cut.json).toMatchObject({
      content: [{ type: 'text', text: 'one two' }],
      stop_reason: 'max_tokens',
      usage: { output_tokens: 2 },
    });
    const whole = await anthropic({ max_tokens: 4, messages: userHi });
    expect(whole.json.stop_reason).toBe('end_turn');
  });

  it('requires max_tokens, valid roles and a JSON object, in the Anthropic error shape', async () => {
    const s = await start();
    const bodies = [
      { messages: userHi },
      { max_tokens: 0, messages: userHi },
      { max_tokens: 5 },
      { max_tokens: 5, messages: [{ role: 'system', content: 'x' }] },
      { max_tokens: 5, system: 3, messages: userHi },
      '[]',
      '{oops',
    ];
    for (const body of bodies) {
      const res = await anthropic(body);
      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        type: 'error',
        error: { type: 'invalid_request_error', message: expect.any(String) },
      });
    }
    expect((await anthropic({ messages: userHi })).json.error.message).toMatch(/max_tokens/);
    expect(s.requests).toBe(0);
  });

  it('checks x-api-key (or the bearer token newer SDKs send), then requires anthropic-version', async () => {
    await start({ apiKey: 'sk-ant' });
    const body = { max_tokens: 5, messages: userHi };
    for (const headers of [VERSION, { ...VERSION, 'x-api-key': 'wrong' }]) {
      const denied = await anthropic(body, headers);
      expect(denied.status).toBe(401);
      expect(denied.json).toEqual({
        type: 'error',
        error: { type: 'authentication_error', message: expect.any(String) },
      });
    }
    const bearer = await anthropic(body, { ...VERSION, authorization: 'Bearer sk-ant' });
    expect(bearer.status).toBe(200);
    const wrongBearer = await anthropic(body, { ...VERSION, authorization: 'Bearer nope' });
    expect(wrongBearer.status).toBe(401);
    const noVersion = await anthropic(body, { 'x-api-key': 'sk-ant' });
    expect(noVersion.status).toBe(400);
    expect(noVersion.json.error).toEqual({
      type: 'invalid_request_error',
      message: expect.stringMatching(/anthropic-version/),
    });
    const ok = await anthropic(body, { ...VERSION, 'x-api-key': 'sk-ant' });
    expect(ok.status).toBe(200);
  });

  it('answers the status fault in the Anthropic error shape with retry headers', async () => {
    const s = await start();
    const expected: Array<[number, string]> = [
      [529, 'overloaded_error'],
      [429, 'rate_limit_error'],
      [500, 'api_error'],
      [400, 'invalid_request_error'],
      [401, 'authentication_error'],
      [422, 'invalid_request_error'],
      [503, 'api_error'],
    ];
    for (const [status, type] of expected) {
      s.inject({ kind: 'status', status, retryAfter: 3 }, { times: 1 });
      const res = await anthropic({ max_tokens: 5, messages: userHi });
      expect(res.status).toBe(status);
      expect(res.headers['retry-after']).toBe('3');
      expect(res.json).toEqual({
        type: 'error',
        error: { type, message: expect.stringContaining(String(status)) },
      });
    }
    expect(s.stats).toMatchObject({ requests: 7, ok: 0, faults: { status: 7 } });
  });

  it('answers 500 in the Anthropic shape when reply throws', async () => {
    await start({
      reply: () => {
        throw new Error('boom');
      },
    });
    const res = await anthropic({ max_tokens: 5, messages: userHi });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ type: 'error', error: { type: 'api_error', message: 'boom' } });
  });
});

describe('Ollama chat route', () => {
  it('answers a non-streamed chat in the exact Ollama shape', async () => {
    await start({ model: 'llama-test' });
    const before = Date.now();
    const res = await ollama({ model: 'llama3', messages: userHi, stream: false });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const int = expect.any(Number);
    expect(res.json).toEqual({
      model: 'llama-test',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      message: { role: 'assistant', content: 'echo: hello there' },
      done: true,
      done_reason: 'stop',
      total_duration: int,
      load_duration: int,
      prompt_eval_count: 2,
      prompt_eval_duration: int,
      eval_count: 3,
      eval_duration: int,
    });
    for (const key of [
      'total_duration',
      'load_duration',
      'prompt_eval_duration',
      'eval_duration',
    ]) {
      expect(Number.isInteger(res.json[key])).toBe(true);
    }
    expect(Date.parse(res.json.created_at)).toBeGreaterThanOrEqual(before - 1);
  });

  it('reads options and cuts at num_predict words with done_reason length', async () => {
    const s = await start({ reply: () => 'one two three four' });
    const cut = await ollama({
      messages: userHi,
      stream: false,
      options: { temperature: 0.3, num_predict: 3 },
    });
    expect(cut.json).toMatchObject({
      message: { content: 'one two three' },
      done_reason: 'length',
      eval_count: 3,
    });
    expect(s.lastRequest()).toMatchObject({
      format: 'ollama',
      model: 'test-model',
      temperature: 0.3,
      max_tokens: 3,
      stream: false,
    });
    // A negative num_predict means no limit in Ollama.
    const unlimited = await ollama({
      messages: userHi,
      stream: false,
      options: { num_predict: -1 },
    });
    expect(unlimited.json).toMatchObject({ done_reason: 'stop', eval_count: 4 });
    expect(s.lastRequest()!.max_tokens).toBeUndefined();
  });

  it('rejects invalid requests with an { error } body', async () => {
    const s = await start();
    for (const body of [{}, { messages: userHi, options: { num_predict: 1.5 } }, '{x', '[]']) {
      const res = await ollama(body);
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: expect.any(String) });
    }
    expect(s.requests).toBe(0);
  });

  it('checks the bearer api key when one is set', async () => {
    await start({ apiKey: 'k' });
    const denied = await ollama({ messages: userHi, stream: false });
    expect(denied).toMatchObject({ status: 401, json: { error: expect.any(String) } });
    const ok = await ollama({ messages: userHi, stream: false }, { authorization: 'Bearer k' });
    expect(ok.status).toBe(200);
  });

  it('answers the status fault as { error } and a custom body verbatim', async () => {
    const s = await start();
    s.inject({ kind: 'status', status: 503 }, { times: 1 });
    const res = await ollama({ messages: userHi, stream: false });
    expect(res).toMatchObject({
      status: 503,
      json: { error: expect.stringContaining('503') },
    });
    s.inject({ kind: 'status', status: 500, body: '{"error":"custom"}' }, { times: 1 });
    expect((await ollama({ messages: userHi, stream: false })).json).toEqual({ error: 'custom' });
  });
});

describe('all routes', () => {
  it('count requests on every route and tag each request with its format', async () => {
    const s = await start();
    await call('/v1/chat/completions', { messages: userHi });
    expect(s.lastRequest()).toMatchObject({ format: 'openai', stream: false });
    await anthropic({ max_tokens: 5, messages: userHi });
    await ollama({ messages: userHi, stream: false });
    expect(s.requests).toBe(3);
    expect(s.streams).toBe(0);
    expect(s.stats).toMatchObject({ requests: 3, ok: 3 });
    await s.waitForRequests(3);
  });

  it('apply the existing faults to the Anthropic and Ollama routes', async () => {
    const s = await start();
    const routes = [
      () => anthropic({ max_tokens: 5, messages: userHi }),
      () => ollama({ messages: userHi, stream: false }),
    ];
    for (const route of routes) {
      s.inject({ kind: 'reset' }, { times: 1 });
      await expect(route()).rejects.toMatchObject({
        code: expect.stringMatching(/ECONNRESET|UND_ERR_SOCKET/),
      });
      s.inject({ kind: 'malformed' }, { times: 1 });
      await expect(route()).rejects.toThrow(SyntaxError);
      s.inject({ kind: 'truncated' }, { times: 1 });
      await expect(route()).rejects.toThrow();
      s.inject({ kind: 'latency', ms: 30 }, { times: 1 });
      s.inject({ kind: 'trickle', chunkDelayMs: 1, chunkBytes: 20 }, { times: 1 });
      const started = performance.now();
      expect((await route()).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(25);
      expect((await route()).status).toBe(200);
    }
    expect(s.stats).toMatchObject({
      requests: 10,
      ok: 4,
      faults: { reset: 2, malformed: 2, truncated: 2, latency: 2, trickle: 2 },
    });
  });
});
