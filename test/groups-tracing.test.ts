/**
 * A group call's span `chat <group>`, recorded by the SDK's in-memory exporter: the GenAI
 * attributes of the call (the group as the requested model, the answering member's model, usage
 * and cost), its members' request spans as its children, and its events — `failover`, `hedge`,
 * `stream.resume` — with status ERROR and `error.type` when the call fails.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompletionStream } from '../src/index.js';
import { failure } from './support/failure.js';
import { groupsPerTest, hello, openaiClient, hedgedPair } from './support/groups.js';
import { recordSpans } from './support/otel.js';

const exporter = recordSpans();
afterEach(() => exporter.reset());

const groups = groupsPerTest();
const pair = { chat: { members: ['primary', 'backup'] } };

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const one = (name: string): ReadableSpan => {
  const found = spans().filter((s) => s.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const event = (span: ReadableSpan, name: string) => span.events.find((e) => e.name === name);

async function drain(s: CompletionStream) {
  for await (const _ of s) void _;
  return s.completion;
}

describe('a group call span', () => {
  it('is the parent of both members’ request spans and tells the failover from one to the other', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair, {
      client: (name, server) =>
        openaiClient(server, {
          model: `${name}-model`,
          pricing: { inputPerMTok: 1, outputPerMTok: 2 },
        }),
    });
    servers.primary!.inject({ kind: 'status', status: 503 });
    servers.backup!.enqueue({ text: 'ok', usage: { promptTokens: 7, completionTokens: 3 } });
    const answer = await runtime.request('chat', hello);
    const group = one('chat chat');
    expect(group.kind).toBe(SpanKind.INTERNAL);
    expect(group.status.code).toBe(SpanStatusCode.UNSET);
    expect(group.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'chat',
      'gen_ai.response.model': 'backup-model',
      'gen_ai.usage.input_tokens': 7,
      'gen_ai.usage.output_tokens': 3,
      'llm_actors.group': 'chat',
      'llm_actors.client': 'backup',
      'llm_actors.stream': false,
      // (7 × 1 + 3 × 2) / 1e6
      'llm_actors.cost_usd': answer.costUsd!,
    });
    expect(answer.costUsd).toBeCloseTo(0.000013, 12);
    const primary = one('chat primary-model');
    const backup = one('chat backup-model');
    expect(parentOf(primary)).toBe(group.spanContext().spanId);
    expect(parentOf(backup)).toBe(group.spanContext().spanId);
    expect(primary.spanContext().traceId).toBe(group.spanContext().traceId);
    expect(primary.status.code).toBe(SpanStatusCode.ERROR);
    expect(primary.attributes['error.type']).toBe('PROVIDER_ERROR');
    expect(backup.status.code).toBe(SpanStatusCode.UNSET);
    expect(group.events.map((e) => e.name)).toEqual(['failover']);
    expect(event(group, 'failover')!.attributes).toEqual({
      'llm_actors.from': 'primary',
      'llm_actors.to': 'backup',
      'error.type': 'PROVIDER_ERROR',
    });
  });

  it('is a child of the caller’s active span', async () => {
    const { runtime } = await groups.start(['primary', 'backup'], pair);
    const caller = trace.getTracer('test').startSpan('caller');
    await context.with(trace.setSpan(context.active(), caller), () =>
      runtime.request('chat', hello),
    );
    caller.end();
    expect(parentOf(one('chat chat'))).toBe(caller.spanContext().spanId);
    expect(one('chat chat').events).toEqual([]);
  });

  it('ends with status ERROR and error.type when every member fails', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair);
    servers.primary!.inject({ kind: 'status', status: 503 });
    servers.backup!.inject({ kind: 'status', status: 500 });
    const error = await failure(runtime.request('chat', hello));
    expect(error.code).toBe('PROVIDER_ERROR');
    const group = one('chat chat');
    expect(group.status).toMatchObject({ code: SpanStatusCode.ERROR, message: error.message });
    expect(group.attributes).toMatchObject({
      'error.type': 'PROVIDER_ERROR',
      'http.response.status_code': 500,
    });
    expect(group.attributes['gen_ai.response.model']).toBeUndefined();
    expect(spans().filter((s) => parentOf(s) === group.spanContext().spanId)).toHaveLength(2);
  });

  it('tells the hedge and the member it started beside the slow one', async () => {
    const { runtime, servers, clock } = await hedgedPair(groups, 2_000);
    const call = runtime.request('chat', hello);
    await servers.primary!.waitForRequests(1);
    // The hedge's timer fires outside any caller's context: the backup is still a child.
    clock.advance(2_000);
    expect((await call).client).toBe('backup');
    await expect.poll(() => spans().some((s) => s.name === 'chat primary-model')).toBe(true);
    const group = one('chat chat');
    expect(group.events.map((e) => e.name)).toEqual(['hedge']);
    expect(event(group, 'hedge')!.attributes).toEqual({ 'llm_actors.client': 'backup' });
    expect(group.attributes['llm_actors.client']).toBe('backup');
    expect(parentOf(one('chat backup-model'))).toBe(group.spanContext().spanId);
    expect(parentOf(one('chat primary-model'))).toBe(group.spanContext().spanId);
    expect(one('chat primary-model').attributes['error.type']).toBe('ABORTED');
  });

  it('tells a stream resumed on the next member and how much had been delivered', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], {
      chat: { members: ['primary', 'backup'], resumeStreams: true },
    });
    servers.primary!.setReply(() => 'one two three four five');
    servers.primary!.inject({ kind: 'stream_cut', afterDeltas: 3 });
    servers.backup!.setReply(() => 'four five');
    const completion = await drain(runtime.stream('chat', hello));
    expect(completion.text).toBe('one two three four five');
    const group = one('chat chat');
    expect(group.attributes).toMatchObject({
      'llm_actors.stream': true,
      'llm_actors.client': 'backup',
      'gen_ai.response.model': 'backup-model',
    });
    expect(group.events.map((e) => e.name)).toEqual(['stream.resume']);
    expect(event(group, 'stream.resume')!.attributes).toEqual({
      'llm_actors.client': 'backup',
      // 'one two three ': the three deltas the caller had.
      'llm_actors.delivered_chars': 14,
      'llm_actors.resume_mode': 'prefill',
    });
    expect(parentOf(one('chat backup-model'))).toBe(group.spanContext().spanId);
    expect(parentOf(one('chat primary-model'))).toBe(group.spanContext().spanId);
  });
});
