/**
 * The gateway, driven the way its users drive it: the official `openai` client (chat and
 * streaming) and plain HTTP for health, metrics, admin and the error mappings.
 */
import { request } from 'node:http';
import OpenAI from 'openai';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway, type GatewayOptions } from '../src/gateway/index.js';
import { createRuntime, type ClientConfig, type Runtime } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';

const PROVIDER_KEY = 'sk-upstream-SENTINEL-9f8e7d6c5b4a';
const hi = [{ role: 'user' as const, content: 'hi' }];

let server: TestServer | undefined;
let runtime: Runtime | undefined;
let gateway: Gateway | undefined;

afterEach(async () => {
  await gateway?.close({ timeoutMs: 0 });
  await runtime?.stop({ timeoutMs: 0 });
  await server?.close();
  gateway = runtime = server = undefined;
});

/** A testing server, a runtime with `gpt` (plus `clients`) on it, and a gateway in front. */
async function start(
  clients: Record<string, Partial<ClientConfig>> = {},
  options: GatewayOptions = {},
): Promise<{ url: string; upstream: TestServer; rt: Runtime }> {
  server = await startTestServer({ apiKey: PROVIDER_KEY });
  const upstream = server;
  const config = (extra: Partial<ClientConfig>) =>
    ({
      provider: 'openai',
      baseUrl: upstream.url,
      model: 'gpt-test',
      apiKey: PROVIDER_KEY,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      ...extra,
    }) as ClientConfig;
  runtime = await createRuntime({
    clients: Object.fromEntries(
      Object.entries({ gpt: {}, ...clients }).map(([name, extra]) => [name, config(extra)]),
    ),
    logger: false,
  });
  gateway = await createGateway(runtime, { port: 0, logger: false, ...options });
  return { url: gateway.url, upstream, rt: runtime };
}

function sdk(url: string, options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, ...options });
}

async function apiError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof OpenAI.APIError) return e;
    throw e;
  }
  throw new Error('expected an APIError');
}

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('chat through the official openai client', () => {
  it('answers a chat completion with usage and finish reason', async () => {
    const { url, upstream } = await start();
    const res = await sdk(url).chat.completions.create({
      model: 'gpt',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hello ' },
            { type: 'text', text: 'gateway' },
          ],
        },
      ],
      temperature: 0,
      max_tokens: 20,
      stop: '###',
      seed: 3,
      top_p: 0.5,
    });
    expect(res.object).toBe('chat.completion');
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.model).toBe('test-model');
    expect(res.choices[0]).toMatchObject({
      index: 0,
      message: { role: 'assistant', content: 'echo: hello gateway' },
      finish_reason: 'stop',
    });
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
    expect(upstream.lastRequest()!.body).toMatchObject({
      model: 'gpt-test',
      temperature: 0,
      max_tokens: 20,
      stop: ['###'],
      seed: 3,
      top_p: 0.5,
    });
    expect(upstream.lastRequest()!.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
  });

  it('serves a repeated request from the client cache and says so in a header', async () => {
    const { url, upstream } = await start();
    const client = sdk(url);
    const first = await client.chat.completions
      .create({ model: 'gpt', messages: hi })
      .withResponse();
    const second = await client.chat.completions
      .create({ model: 'gpt', messages: hi })
      .withResponse();
    expect(first.response.headers.get('x-llm-actors-cache')).toBe('miss');
    expect(second.response.headers.get('x-llm-actors-cache')).toBe('hit');
    expect(second.data.choices[0]!.message.content).toBe('echo: hi');
    expect(upstream.requests).toBe(1);
  });

  it('streams chunks in the OpenAI format, with usage when asked', async () => {
    const { url, upstream } = await start();
    upstream.setReply(() => 'one two three');
    const stream = await sdk(url).chat.completions.create({
      model: 'gpt',
      messages: hi,
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      if (chunk.choices[0]?.delta.content) deltas.push(chunk.choices[0].delta.content);
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('one two three');
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(3);
  });

  it('lists the clients as models', async () => {
    const { url } = await start({ claude: { model: 'other' } });
    const models = await sdk(url).models.list();
    expect(models.data.map((m) => m.id)).toEqual(['gpt', 'claude']);
  });

  it('cancels the upstream call when the caller goes away mid-stream', async () => {
    const { url, upstream, rt } = await start();
    upstream.setReply(() => 'a b c d e f g h i j k l');
    upstream.inject({ kind: 'trickle', chunkDelayMs: 30, chunkBytes: 8 });
    const controller = new AbortController();
    const stream = await sdk(url).chat.completions.create(
      { model: 'gpt', messages: hi, stream: true },
      { signal: controller.signal },
    );
    // The SDK ends the iteration quietly on abort; what matters is what the gateway did.
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) controller.abort();
    await expect.poll(() => rt.health('gpt').requests.inFlight).toBe(0);
    expect(rt.health('gpt').requests.succeeded).toBe(0);
  });

  it('cancels the upstream call when the caller goes away before a plain answer', async () => {
    const { url, upstream, rt } = await start();
    // The upstream never answers: the call under way can only end by being cancelled.
    upstream.inject({ kind: 'hang' });
    const req = request(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    const gone = new Promise((resolve) => req.on('error', resolve));
    req.end(JSON.stringify({ model: 'gpt', messages: hi }));
    await upstream.waitForRequests(1);
    expect(rt.health('gpt').requests.inFlight).toBe(1);
    req.destroy();
    await gone;
    await expect.poll(() => rt.health('gpt').requests.inFlight, { timeout: 5_000 }).toBe(0);
    const health = rt.health('gpt');
    expect(health.lastError?.code).toBe('ABORTED');
    expect(health.requests).toMatchObject({ failed: 1, succeeded: 0 });
    expect(upstream.stats.ok).toBe(0);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain(
      'llm_actors_gateway_requests_total{client="gpt",outcome="ABORTED"} 1',
    );
  });
});

describe('errors as OpenAI-style bodies with the statuses clients expect', () => {
  it('UNKNOWN_CLIENT is 404', async () => {
    const { url } = await start();
    const error = await apiError(sdk(url).chat.completions.create({ model: 'nope', messages: hi }));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.code).toBe('UNKNOWN_CLIENT');
    expect(error.message).toContain('nope');
  });

  it('INVALID_REQUEST is 400 and names the body field, as the message and as param', async () => {
    const { url } = await start();
    const error = await apiError(
      sdk(url).chat.completions.create({ model: 'gpt', messages: hi, temperature: 7 }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('temperature: must be between 0 and 2');
    expect(error.message).not.toContain('options.');
    expect(error.param).toBe('temperature');
  });

  it.each([
    ['not JSON', '{"model":', 'not valid JSON'],
    ['no model', { messages: hi }, 'model:'],
    ['no messages', { model: 'gpt' }, 'messages:'],
    [
      'an image part',
      { model: 'gpt', messages: [{ role: 'user', content: [{ type: 'image_url' }] }] },
      'messages[0].content[0].image_url.url',
    ],
    [
      'an audio part',
      { model: 'gpt', messages: [{ role: 'user', content: [{ type: 'input_audio' }] }] },
      '"input_audio" parts are not carried',
    ],
    ['a hosted tool', { model: 'gpt', messages: hi, tools: [{ type: 'x' }] }, 'tools[0].type'],
    ['legacy functions', { model: 'gpt', messages: hi, functions: [] }, 'functions: the legacy'],
    [
      'an unknown message field',
      { model: 'gpt', messages: [{ role: 'user', content: 'x', audio: { id: 'a' } }] },
      'messages[0].audio',
    ],
    [
      'a bad role',
      { model: 'gpt', messages: [{ role: 'robot', content: 'x' }] },
      'messages[0].role',
    ],
  ])('a body with %s is 400 with the reason', async (_, body, reason) => {
    const { url, upstream } = await start();
    const res = await post(url, body);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; type: string } };
    expect(error.type).toBe('invalid_request_error');
    expect(error.message).toContain(reason);
    expect(upstream.requests).toBe(0);
  });

  it('FUSE_OPEN is 503 with Retry-After and tells the SDKs not to retry, plain and streamed', async () => {
    const { url, upstream, rt } = await start({
      gpt: { retry: false, fuse: { maxFailures: 1, resetMs: 30_000 } },
    });
    upstream.inject({ kind: 'status', status: 500 }, { times: 1 });
    await apiError(sdk(url).chat.completions.create({ model: 'gpt', messages: hi }));
    for (const stream of [false, true]) {
      const res = await post(url, { model: 'gpt', messages: hi, stream });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(29);
      expect(res.headers.get('x-should-retry')).toBe('false');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FUSE_OPEN');
    }
    // The official client, with retries left, asks once and takes the answer as final.
    const asked = rt.health('gpt').requests.total;
    const error = await apiError(
      sdk(url, { maxRetries: 2 }).chat.completions.create({ model: 'gpt', messages: hi }),
    );
    expect(error.code).toBe('FUSE_OPEN');
    expect(rt.health('gpt').requests.total).toBe(asked + 1);
    expect(upstream.requests).toBe(1);
  });

  it('QUEUE_FULL is 429', async () => {
    const { url, upstream } = await start({ gpt: { maxConcurrency: 1, maxQueue: 0 } });
    upstream.inject({ kind: 'hang' }, { times: 1 });
    const hung = post(url, { model: 'gpt', messages: [{ role: 'user', content: 'first' }] });
    await expect.poll(() => upstream.requests).toBe(1);
    const error = await apiError(sdk(url).chat.completions.create({ model: 'gpt', messages: hi }));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.code).toBe('QUEUE_FULL');
    await gateway!.close({ timeoutMs: 0 });
    await hung.catch(() => undefined);
  });

  it('TIMEOUT is 504', async () => {
    const { url, upstream } = await start({ gpt: { timeoutMs: 100 } });
    upstream.inject({ kind: 'hang' });
    const error = await apiError(sdk(url).chat.completions.create({ model: 'gpt', messages: hi }));
    expect(error.status).toBe(504);
    expect(error.code).toBe('TIMEOUT');
  });

  it('PROVIDER_ERROR 5xx is 502 with the upstream status in the body, and no provider key', async () => {
    const { url, upstream } = await start({ gpt: { retry: false } });
    upstream.inject({
      kind: 'status',
      status: 500,
      body: JSON.stringify({ error: { message: `bad key ${PROVIDER_KEY}` } }),
    });
    const res = await post(url, { model: 'gpt', messages: hi });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).not.toContain(PROVIDER_KEY);
    expect(JSON.parse(text)).toMatchObject({
      error: { code: 'PROVIDER_ERROR', upstream_status: 500, client: 'gpt' },
    });
  });

  it("a provider's 4xx keeps its status, code, type, param and message, scrubbed", async () => {
    const { url, upstream } = await start();
    const providerError = {
      message: `This model's maximum context length is 8192 tokens (key ${PROVIDER_KEY})`,
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    };
    upstream.inject({
      kind: 'status',
      status: 400,
      body: JSON.stringify({ error: providerError }),
    });
    const res = await post(url, { model: 'gpt', messages: hi });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-should-retry')).toBe('false');
    const text = await res.text();
    expect(text).not.toContain(PROVIDER_KEY);
    expect(JSON.parse(text)).toMatchObject({
      error: {
        code: 'context_length_exceeded',
        type: 'invalid_request_error',
        param: 'messages',
        llm_actors_code: 'PROVIDER_ERROR',
        upstream_status: 400,
        client: 'gpt',
      },
    });
    expect(JSON.parse(text).error.message).toContain('maximum context length is 8192 tokens');
    // The official client sees the provider's own error class and code.
    upstream.inject({
      kind: 'status',
      status: 400,
      body: JSON.stringify({ error: providerError }),
    });
    const error = await apiError(sdk(url).chat.completions.create({ model: 'gpt', messages: hi }));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.code).toBe('context_length_exceeded');
  });

  it("a provider's 429 is a 429 with its Retry-After", async () => {
    const { url, upstream } = await start({ gpt: { retry: false } });
    upstream.inject({ kind: 'status', status: 429, retryAfter: 7 });
    const res = await post(url, { model: 'gpt', messages: hi });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('CLIENT_FAILED is 503 that the official client does not retry', async () => {
    const { url, rt } = await start({}, { port: 0 });
    for (let i = 0; i < 4 && rt.health('gpt').status !== 'failed'; i++) {
      rt.kill('gpt');
      await expect.poll(() => rt.health('gpt').status).not.toBe('restarting');
    }
    const error = await apiError(
      sdk(url, { maxRetries: 2 }).chat.completions.create({ model: 'gpt', messages: hi }),
    );
    expect(error.status).toBe(503);
    expect(error.code).toBe('CLIENT_FAILED');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(
      'llm_actors_gateway_requests_total{client="gpt",outcome="CLIENT_FAILED"} 1',
    );
  });

  it('a retryable failure is retried by the official client as x-should-retry says', async () => {
    const { url, upstream } = await start({ gpt: { retry: false } });
    upstream.inject({ kind: 'status', status: 503, retryAfterMs: 1 }, { times: 1 });
    const res = await sdk(url, { maxRetries: 1 }).chat.completions.create({
      model: 'gpt',
      messages: hi,
    });
    expect(res.choices[0]!.message.content).toBe('echo: hi');
    expect(upstream.requests).toBe(2);
  });

  it('answers unknown routes with 404 and wrong methods with 405', async () => {
    const { url } = await start();
    expect((await fetch(`${url}/v2/chat`)).status).toBe(404);
    const res = await fetch(`${url}/v1/chat/completions`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('security', () => {
  const KEY = 'gateway-key-0123456789';

  it('requires a gateway API key on the API routes when keys are set', async () => {
    const { url } = await start({}, { apiKeys: [KEY, 'second-key-0123456789'] });
    const denied = await apiError(sdk(url).chat.completions.create({ model: 'gpt', messages: hi }));
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((await fetch(`${url}/v1/models`)).status).toBe(401);
    const ok = await sdk(url, { apiKey: KEY }).chat.completions.create({
      model: 'gpt',
      messages: hi,
    });
    expect(ok.choices[0]!.message.content).toBe('echo: hi');
    const second = await sdk(url, { apiKey: 'second-key-0123456789' }).models.list();
    expect(second.data).toHaveLength(1);
    expect((await fetch(`${url}/livez`)).status).toBe(200);
  });

  it('refuses a body over the limit with 413 without calling upstream', async () => {
    const { url, upstream } = await start({}, { maxBodyBytes: 2_048 });
    const big = { model: 'gpt', messages: [{ role: 'user', content: 'x'.repeat(4_096) }] };
    const res = await post(url, big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE');
    expect(upstream.requests).toBe(0);
    expect((await post(url, { model: 'gpt', messages: hi })).status).toBe(200);
  });

  it('guards the admin routes with the admin token', async () => {
    const restart = (url: string, name: string, token?: string) =>
      fetch(`${url}/admin/clients/${name}/restart`, {
        method: 'POST',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const { url, rt } = await start({}, { adminToken: 'admin-token-0123456789' });
    expect((await restart(url, 'gpt')).status).toBe(401);
    expect((await restart(url, 'gpt', 'wrong-token-0123456789')).status).toBe(401);
    expect((await restart(url, 'nope', 'admin-token-0123456789')).status).toBe(404);
    const ok = await restart(url, 'gpt', 'admin-token-0123456789');
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ restarted: 'gpt' });
    expect(rt.health('gpt').restarts).toBe(1);
    await gateway!.close();
    gateway = await createGateway(rt, { port: 0, logger: false });
    expect((await restart(gateway.url, 'gpt', 'admin-token-0123456789')).status).toBe(403);
  });

  it('never returns the provider key in health or metrics', async () => {
    const { url } = await start();
    await sdk(url).chat.completions.create({ model: 'gpt', messages: hi });
    for (const path of ['/health', '/health/gpt', '/metrics', '/v1/models', '/']) {
      expect(await (await fetch(url + path)).text()).not.toContain(PROVIDER_KEY);
    }
  });

  it('binds to loopback by default', async () => {
    const { rt } = await start();
    const own = await createGateway(rt, { port: 0, logger: false });
    try {
      expect(own.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await own.close();
    }
  });
});

describe('health, readiness and metrics', () => {
  it('serves every client health, one client health, and 404 for an unknown one', async () => {
    const { url } = await start({ claude: {} });
    const all = (await (await fetch(`${url}/health`)).json()) as Record<string, { status: string }>;
    expect(Object.keys(all)).toEqual(['gpt', 'claude']);
    expect(all.gpt!.status).toBe('running');
    const one = (await (await fetch(`${url}/health/claude`)).json()) as { name: string };
    expect(one.name).toBe('claude');
    expect((await fetch(`${url}/health/nope`)).status).toBe(404);
  });

  it('is live while it runs and ready while a client runs', async () => {
    const { url, rt } = await start();
    expect(await (await fetch(`${url}/livez`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', clients: { gpt: 'running' } });
    for (let i = 0; i < 4 && rt.health('gpt').status !== 'failed'; i++) {
      rt.kill('gpt');
      await expect.poll(() => rt.health('gpt').status).not.toBe('restarting');
    }
    const notReady = await fetch(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({
      status: 'no client running',
      clients: { gpt: 'failed' },
    });
  });

  it('exposes requests by outcome, latency, cache, fuse state, restarts and in flight', async () => {
    const { url, upstream, rt } = await start({
      fragile: { retry: false, fuse: { maxFailures: 1, resetMs: 60_000 } },
    });
    const client = sdk(url);
    await client.chat.completions.create({ model: 'gpt', messages: hi });
    await client.chat.completions.create({ model: 'gpt', messages: hi });
    upstream.inject({ kind: 'status', status: 500 }, { times: 1 });
    await apiError(client.chat.completions.create({ model: 'fragile', messages: hi }));
    await apiError(client.chat.completions.create({ model: 'ghost', messages: hi }));
    await rt.restart('gpt');
    const res = await fetch(`${url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    for (const line of [
      'llm_actors_gateway_requests_total{client="gpt",outcome="ok"} 2',
      'llm_actors_gateway_requests_total{client="fragile",outcome="PROVIDER_ERROR"} 1',
      'llm_actors_gateway_requests_total{client="(unknown)",outcome="UNKNOWN_CLIENT"} 1',
      'llm_actors_gateway_request_duration_seconds_count{client="gpt",cache="hit"} 1',
      'llm_actors_gateway_request_duration_seconds_count{client="gpt",cache="miss"} 1',
      'llm_actors_cache_hits_total{client="gpt"} 1',
      'llm_actors_cache_misses_total{client="gpt"} 1',
      'llm_actors_fuse_state{client="fragile",state="open"} 1',
      'llm_actors_fuse_state{client="gpt",state="closed"} 1',
      'llm_actors_fuse_melts_total{client="fragile"} 1',
      'llm_actors_restarts_total{client="gpt"} 1',
      'llm_actors_in_flight{client="gpt"} 0',
      'llm_actors_client_status{client="gpt",status="running"} 1',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toMatch(/^# TYPE llm_actors_gateway_request_duration_seconds histogram$/m);
  });
});

describe('edges of the wire format', () => {
  it('streams an empty answer that the official stream helper can assemble', async () => {
    const { url, upstream } = await start();
    upstream.setReply(() => '');
    const stream = sdk(url).chat.completions.stream({ model: 'gpt', messages: hi });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.message.role).toBe('assistant');
    expect(final.choices[0]!.message.content ?? '').toBe('');
  });

  it('sends finish reasons OpenAI has no name for as stop, keeping the original beside it', async () => {
    server = await startTestServer();
    runtime = await createRuntime({
      clients: {
        odd: {
          provider: 'driver',
          model: 'd',
          request: () => ({}),
          output: () => ({ text: 'paused', finishReason: 'other' as const }),
        },
      },
      logger: false,
    });
    gateway = await createGateway(runtime, { port: 0, logger: false });
    const res = (await (await post(gateway.url, { model: 'odd', messages: hi })).json()) as {
      choices: Array<Record<string, unknown>>;
    };
    expect(res.choices[0]).toMatchObject({
      finish_reason: 'stop',
      llm_actors_finish_reason: 'other',
    });
  });

  it('answers HEAD /events at once and a malformed percent-encoding with 400', async () => {
    const { url } = await start();
    const head = await fetch(`${url}/events`, {
      method: 'HEAD',
      signal: AbortSignal.timeout(5_000),
    });
    expect(head.status).toBe(200);
    expect((await fetch(`${url}/health/%E0%A4%A`)).status).toBe(400);
    const admin = await fetch(`${url}/admin/clients/%zz/restart`, { method: 'POST' });
    expect(admin.status).toBe(400);
  });

  it('tells the callers of requests under way at a drain to close their connection', async () => {
    const { url, upstream } = await start();
    const pool = new Pool(url, { connections: 1 });
    try {
      const ask = async (content: string) => {
        const res = await pool.request({
          method: 'POST',
          path: '/v1/chat/completions',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content }] }),
        });
        await res.body.text();
        return res;
      };
      expect((await ask('before')).headers.connection).toBe('keep-alive');
      upstream.inject({ kind: 'latency', ms: 300 }, { times: 1 });
      const slow = ask('slow');
      await expect.poll(() => upstream.requests).toBe(2);
      const closed = gateway!.close({ timeoutMs: 10_000 });
      const res = await slow;
      expect(res.statusCode).toBe(200);
      expect(res.headers.connection).toBe('close');
      await closed;
    } finally {
      await pool.destroy();
    }
  });
});

describe('clients registered after start', () => {
  it('serves them, lists them and labels their metrics by name', async () => {
    const { url, upstream, rt } = await start();
    await rt.register('late', {
      provider: 'openai',
      baseUrl: upstream.url,
      model: 'm',
      apiKey: PROVIDER_KEY,
    });
    const res = await sdk(url).chat.completions.create({ model: 'late', messages: hi });
    expect(res.choices[0]!.message.content).toBe('echo: hi');
    expect((await sdk(url).models.list()).data.map((m) => m.id)).toEqual(['gpt', 'late']);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain(
      'llm_actors_gateway_requests_total{client="late",outcome="ok"} 1',
    );
  });
});

describe('graceful shutdown', () => {
  it('lets a request under way finish, then refuses new connections', async () => {
    const { url, upstream } = await start();
    upstream.inject({ kind: 'latency', ms: 200 }, { times: 1 });
    const slow = post(url, { model: 'gpt', messages: hi });
    await expect.poll(() => upstream.requests).toBe(1);
    const closed = gateway!.close({ timeoutMs: 10_000 });
    const res = await slow;
    expect(res.status).toBe(200);
    expect(((await res.json()) as OpenAI.ChatCompletion).choices[0]!.message.content).toBe(
      'echo: hi',
    );
    await closed;
    await expect(fetch(`${url}/livez`)).rejects.toThrow();
  });

  it('ends the dashboards event streams on close', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/events`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('event: health');
    await gateway!.close();
    let next = await reader.read();
    while (!next.done) next = await reader.read();
    expect(next.done).toBe(true);
  });
});
