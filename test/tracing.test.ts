/**
 * OpenTelemetry spans through `@opentelemetry/api`, recorded by the SDK's in-memory exporter: a
 * span per request with the GenAI attributes, a child per upstream attempt, the events of the
 * request path, content only on request, a group's span as the parent, and the gateway
 * continuing a caller's `traceparent` and returning its `x-request-id`.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createGateway } from '../src/gateway/index.js';
import type { ClientConfig, Runtime } from '../src/index.js';
import { groupSpanEvent, startGroupSpan } from '../src/observe/group-span.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { failure } from './support/failure.js';
import { recordSpans } from './support/otel.js';
import { runtimePerTest } from './support/runtime.js';

const exporter = recordSpans({ propagate: true });

let server: TestServer | undefined;
const runtimes = runtimePerTest(async () => {
  exporter.reset();
  await server?.close();
  server = undefined;
});

async function start(config: Partial<ClientConfig> = {}): Promise<Runtime> {
  server = await startTestServer();
  return runtimes.start({
    clients: {
      gpt: {
        provider: 'openai',
        model: 'gpt-test',
        baseUrl: server.url,
        apiKey: 'k',
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
        ...config,
      } as ClientConfig,
    },
  });
}

const hi = [{ role: 'user' as const, content: 'hi' }];
const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const named = (name: string): ReadableSpan[] => spans().filter((s) => s.name === name);
const one = (name: string): ReadableSpan => {
  const found = named(name);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const events = (span: ReadableSpan): string[] => span.events.map((e) => e.name);

describe('a request span', () => {
  it('is named chat <model>, of kind CLIENT, with the GenAI request and response attributes', async () => {
    const rt = await start({
      defaults: { temperature: 0.2, maxTokens: 50, extra: { top_p: 0.9 } },
      pricing: { inputPerMTok: 1, outputPerMTok: 2 },
    });
    server!.enqueue({ text: 'hello', usage: { promptTokens: 7, completionTokens: 3 } });
    const res = await rt.request('gpt', hi);
    const span = one('chat gpt-test');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.instrumentationScope.name).toBe('llm-actors');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-test',
      'gen_ai.response.model': res.model,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 50,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 7,
      'gen_ai.usage.output_tokens': 3,
      'llm_actors.client': 'gpt',
      'llm_actors.cache_hit': false,
      'llm_actors.fuse_state': 'closed',
      'llm_actors.cost_usd': (7 * 1 + 3 * 2) / 1e6,
    });
    expect(span.attributes).not.toHaveProperty('gen_ai.input.messages');
    expect(span.attributes).not.toHaveProperty('gen_ai.output.messages');
    const attempt = one('attempt 1');
    expect(attempt.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
    expect(attempt.spanContext().traceId).toBe(span.spanContext().traceId);
  });

  it('records a cache hit as an event, with no attempt and no cost', async () => {
    const rt = await start({ pricing: { inputPerMTok: 1, outputPerMTok: 2 } });
    await rt.request('gpt', hi);
    exporter.reset();
    await rt.request('gpt', hi);
    const span = one('chat gpt-test');
    expect(events(span)).toEqual(['cache.hit']);
    expect(span.attributes).toMatchObject({
      'llm_actors.cache_hit': true,
      'llm_actors.cost_usd': 0,
    });
    expect(named('attempt 1')).toHaveLength(0);
  });

  it('has a child per attempt, with its status, its error and the delay it waited', async () => {
    const rt = await start();
    server!.inject({ kind: 'status', status: 500 }, { times: 1 });
    await rt.request('gpt', hi);
    const request = one('chat gpt-test');
    const first = one('attempt 1');
    const second = one('attempt 2');
    expect(first.status.code).toBe(SpanStatusCode.ERROR);
    expect(first.attributes).toMatchObject({
      'error.type': 'PROVIDER_ERROR',
      'http.response.status_code': 500,
    });
    expect(first.attributes).not.toHaveProperty('llm_actors.retry_delay_ms');
    expect(second.status.code).toBe(SpanStatusCode.UNSET);
    expect(second.attributes['llm_actors.retry_delay_ms']).toBeGreaterThanOrEqual(0);
    for (const attempt of [first, second]) {
      expect(attempt.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    }
    expect(request.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('ends as ERROR with error.type the code, and a fuse.open event when its attempt melted the fuse', async () => {
    const rt = await start({ retry: false, fuse: { maxFailures: 1 } });
    server!.inject({ kind: 'status', status: 503 }, { times: 1 });
    expect((await failure(rt.request('gpt', hi))).code).toBe('PROVIDER_ERROR');
    const span = one('chat gpt-test');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'error.type': 'PROVIDER_ERROR',
      'http.response.status_code': 503,
      'llm_actors.fuse_state': 'open',
    });
    expect(events(span)).toEqual(['fuse.open']);
    exporter.reset();
    expect((await failure(rt.request('gpt', hi))).code).toBe('FUSE_OPEN');
    expect(one('chat gpt-test').attributes).toMatchObject({
      'error.type': 'FUSE_OPEN',
      'llm_actors.fuse_state': 'open',
    });
  });

  it('records a caller that joined an identical request under way as single_flight.join', async () => {
    const rt = await start();
    server!.inject({ kind: 'latency', ms: 200 }, { times: 1 });
    await Promise.all([rt.request('gpt', hi), rt.request('gpt', hi)]);
    const [launched, joined] = named('chat gpt-test').sort(
      (a, b) => a.events.length - b.events.length,
    );
    expect(events(launched!)).toEqual([]);
    expect(events(joined!)).toEqual(['single_flight.join']);
    expect(named('attempt 1')).toHaveLength(1);
    expect(named('attempt 1')[0]!.parentSpanContext?.spanId).toBe(launched!.spanContext().spanId);
  });

  it('records a stream, with its usage once it has ended', async () => {
    const rt = await start();
    const s = rt.stream('gpt', [{ role: 'user', content: 'tell me a story' }]);
    for await (const _ of s) void _;
    const { usage } = await s.completion;
    expect(one('chat gpt-test').attributes).toMatchObject({
      'llm_actors.stream': true,
      'gen_ai.usage.output_tokens': usage.completionTokens,
    });
  });

  it('records the messages and the answer only when the client sets trace.content', async () => {
    const rt = await start({ trace: { content: true } });
    server!.enqueue({ text: 'hello there' });
    await rt.request('gpt', [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi' },
    ]);
    const span = one('chat gpt-test');
    expect(JSON.parse(span.attributes['gen_ai.input.messages'] as string)).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'be brief' }] },
      { role: 'user', parts: [{ type: 'text', content: 'hi' }] },
    ]);
    expect(JSON.parse(span.attributes['gen_ai.output.messages'] as string)).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: 'hello there' }],
        finish_reason: 'stop',
      },
    ]);
  });

  it('is a child of the caller’s active span: a group’s span is the parent of its members', async () => {
    const rt = await start();
    const group = startGroupSpan('best')!;
    await group.run(async () => {
      await rt.request('gpt', hi);
      groupSpanEvent('failover', { 'llm_actors.from': 'gpt' });
    });
    group.end();
    const parent = one('chat best');
    expect(parent.attributes).toMatchObject({ 'llm_actors.group': 'best' });
    expect(events(parent)).toEqual(['failover']);
    expect(one('chat gpt-test').parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });
});

describe('the gateway', () => {
  it('continues the caller’s traceparent and returns its x-request-id', async () => {
    const rt = await start();
    const gateway = await createGateway(rt, { port: 0, logger: false });
    try {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          traceparent: `00-${traceId}-b7ad6b7169203331-01`,
          'x-request-id': 'caller-42',
        },
        body: JSON.stringify({ model: 'gpt', messages: hi }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe('caller-42');
      const span = one('chat gpt-test');
      expect(span.spanContext().traceId).toBe(traceId);
      expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(rt.history('gpt', 1)[0]!.id).toBe('caller-42');
    } finally {
      await gateway.close({ timeoutMs: 0 });
    }
  });

  it('makes its own x-request-id when the caller’s is missing or not a sane token, errors included', async () => {
    const rt = await start();
    const gateway = await createGateway(rt, { port: 0, logger: false });
    try {
      const post = (headers: Record<string, string>, model = 'gpt') =>
        fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ model, messages: hi }),
        });
      const minted = (await post({})).headers.get('x-request-id')!;
      expect(minted).toMatch(/^gw-[\w-]+\.1$/);
      expect(rt.history('gpt', 1)[0]!.id).toBe(minted);
      const bad = await post({ 'x-request-id': 'a b<script>' });
      expect(bad.headers.get('x-request-id')).toMatch(/^gw-[\w-]+\.2$/);
      const long = await post({ 'x-request-id': 'x'.repeat(129) });
      expect(long.headers.get('x-request-id')).not.toBe('x'.repeat(129));
      const unknown = await post({ 'x-request-id': 'mine-1' }, 'nope');
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('x-request-id')).toBe('mine-1');
      const streamed = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'stream-1' },
        body: JSON.stringify({ model: 'gpt', messages: hi, stream: true }),
      });
      expect(streamed.headers.get('x-request-id')).toBe('stream-1');
      await streamed.text();
    } finally {
      await gateway.close({ timeoutMs: 0 });
    }
  });
});

describe('options.requestId', () => {
  it('names the request in history, and is refused unless it is a sane token', async () => {
    const rt = await start();
    await rt.request('gpt', hi, { requestId: 'job-7:step.2' });
    expect(rt.history('gpt', 1)[0]!.id).toBe('job-7:step.2');
    const error = await failure(rt.request('gpt', hi, { requestId: 'two words' }));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('options.requestId');
  });
});
