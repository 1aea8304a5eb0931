/**
 * `@opentelemetry/api` installed but no tracer provider registered: a group call that fails
 * over makes no span and enters no context (no work for tracing on the group path), until a
 * provider is registered, from which call on the group's span and its members' are made.
 */
import { context, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it, vi } from 'vitest';
import { tracing } from '../src/observe/tracing.js';
import { groupsPerTest, hello } from './support/groups.js';

const groups = groupsPerTest();

describe('a group call with no tracer provider registered', () => {
  it('starts no span and enters no context, and traces once a provider is registered', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], {
      chat: { members: ['primary', 'backup'] },
    });
    servers.primary!.inject({ kind: 'status', status: 503 }, { times: 1 });
    expect(tracing()!.on()).toBe(false);
    // The runtime's API is this one: the spy below sees every context it would enter.
    expect(tracing()!.api.context).toBe(context);
    const entered = vi.spyOn(context, 'with');
    const answer = await runtime.request('chat', hello, { cache: false });
    expect(answer.client).toBe('backup');
    expect(entered).not.toHaveBeenCalled();
    entered.mockRestore();
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    servers.primary!.inject({ kind: 'status', status: 503 }, { times: 1 });
    await runtime.request('chat', hello, { cache: false });
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([
      'attempt 1',
      'chat primary-model',
      'attempt 1',
      'chat backup-model',
      'chat chat',
    ]);
  });
});
