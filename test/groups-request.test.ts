import { describe, expect, it } from 'vitest';
import { isLlmActorsError, type GroupHealth, type LlmActorsError } from '../src/index.js';
import type { TestFault } from '../src/testing/index.js';
import { anthropicOverflow, groupsPerTest, hello, openaiClient } from './support/groups.js';

const groups = groupsPerTest();
const pair = { chat: { members: ['primary', 'backup'] } };

async function failureOf(promise: Promise<unknown>): Promise<LlmActorsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLlmActorsError(error)) throw new Error(`expected an LlmActorsError, got ${String(error)}`);
  return error;
}

describe('a group call', () => {
  it('is answered by its first member, with the route and that member as client and model', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair);
    const answer = await runtime.request('chat', hello);
    expect(answer.client).toBe('primary');
    expect(answer.model).toBe('primary-model');
    expect(answer.route).toEqual({
      group: 'chat',
      attempts: [{ client: 'primary', ms: expect.any(Number) }],
    });
    expect(servers.backup!.requests).toBe(0);
  });

  it('fails over at once, without retrying the failing member, on a 503', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair);
    servers.primary!.inject({ kind: 'status', status: 503 });
    const answer = await runtime.request('chat', hello);
    expect(answer.client).toBe('backup');
    expect(answer.model).toBe('backup-model');
    expect(answer.usage.totalTokens).toBeGreaterThan(0);
    // The client's own retry config would try three times: a group call tries once.
    expect(servers.primary!.requests).toBe(1);
    expect(answer.route!.attempts.map((a) => [a.client, a.code])).toEqual([
      ['primary', 'PROVIDER_ERROR'],
      ['backup', undefined],
    ]);
    // The member's retries are still there for calls to it by name.
    await runtime.request('primary', hello).catch(() => undefined);
    expect(servers.primary!.requests).toBe(4);
  });

  const table: Array<[string, 'fails over' | 'comes back', TestFault]> = [
    ['500', 'fails over', { kind: 'status', status: 500 }],
    ['502', 'fails over', { kind: 'status', status: 502 }],
    ['429', 'fails over', { kind: 'status', status: 429 }],
    ['408', 'fails over', { kind: 'status', status: 408 }],
    ['a connection reset', 'fails over', { kind: 'reset' }],
    ['a malformed answer', 'fails over', { kind: 'malformed' }],
    ['400', 'comes back', { kind: 'status', status: 400 }],
    ['401', 'comes back', { kind: 'status', status: 401 }],
    ['403', 'comes back', { kind: 'status', status: 403 }],
    ['404', 'comes back', { kind: 'status', status: 404 }],
    [
      'a content-policy 400',
      'comes back',
      {
        kind: 'status',
        status: 400,
        body: JSON.stringify({
          error: {
            message: 'refused',
            type: 'invalid_request_error',
            code: 'content_policy_violation',
          },
        }),
      },
    ],
  ];

  it.each(table)('on %s it %s', async (_name, outcome, fault) => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair);
    servers.primary!.inject(fault);
    const call = runtime.request('chat', hello);
    if (outcome === 'fails over') {
      expect((await call).client).toBe('backup');
    } else {
      const error = await failureOf(call);
      expect(error.code).toBe('PROVIDER_ERROR');
      expect(error.client).toBe('primary');
      expect(error.route!.attempts).toEqual([
        { client: 'primary', code: 'PROVIDER_ERROR', ms: expect.any(Number) },
      ]);
      expect(servers.backup!.requests).toBe(0);
    }
    expect(servers.primary!.requests).toBe(1);
  });

  it('fails over on a member that times out, within the group deadline', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair, {
      client: (name, server) => openaiClient(server, { model: `${name}-model`, timeoutMs: 200 }),
    });
    servers.primary!.inject({ kind: 'hang' });
    const answer = await runtime.request('chat', hello);
    expect(answer.client).toBe('backup');
    expect(answer.route!.attempts[0]).toMatchObject({ client: 'primary', code: 'TIMEOUT' });
  });

  it('shares one upstream call among identical calls in flight, never with calls that retry', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair);
    servers.primary!.inject({ kind: 'latency', ms: 100 });
    const answers = await Promise.all([
      runtime.request('chat', hello),
      runtime.request('chat', hello),
      runtime.request('primary', hello),
    ]);
    expect(answers.map((a) => a.client)).toEqual(['primary', 'primary', 'primary']);
    expect(servers.primary!.requests).toBe(2);
  });

  it('comes back with an INVALID_REQUEST at once, sending nothing upstream', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair);
    const error = await failureOf(
      runtime.request('chat', [{ role: 'user', content: 42 } as never]),
    );
    expect(error.code).toBe('INVALID_REQUEST');
    expect(servers.primary!.requests + servers.backup!.requests).toBe(0);
  });

  it('counts no failover when a failing member has no other to fail over to', async () => {
    const { runtime, servers } = await groups.start(['primary'], {
      chat: { members: ['primary'] },
    });
    servers.primary!.inject({ kind: 'status', status: 503 });
    for (let i = 0; i < 3; i++) await failureOf(runtime.request('chat', hello, { cache: false }));
    expect(runtime.health<GroupHealth>('chat')).toMatchObject({
      requests: { total: 3, failed: 3 },
      failovers: 0,
    });
  });

  it('returns the last member error, with the route, when every member failed', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair);
    servers.primary!.inject({ kind: 'status', status: 503 });
    servers.backup!.inject({ kind: 'reset' });
    const error = await failureOf(runtime.request('chat', hello));
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.client).toBe('backup');
    expect(error.message).toMatch(
      /^chat: tried primary \(PROVIDER_ERROR\), backup \(NETWORK_ERROR\); last: /,
    );
    expect(error.route!.attempts.map((a) => a.code)).toEqual(['PROVIDER_ERROR', 'NETWORK_ERROR']);
    expect(runtime.health<GroupHealth>('chat')).toMatchObject({
      requests: { total: 1, succeeded: 0, failed: 1 },
      // One move, primary to backup: the backup's failure had nowhere left to go.
      failovers: 1,
      lastError: { code: 'NETWORK_ERROR' },
    });
  });

  it('stops at the group deadline with a TIMEOUT naming the group', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], {
      chat: { members: ['primary', 'backup'], timeoutMs: 150 },
    });
    servers.primary!.inject({ kind: 'hang' });
    const error = await failureOf(runtime.request('chat', hello));
    expect(error.code).toBe('TIMEOUT');
    expect(error.route!.attempts).toEqual([
      { client: 'primary', code: 'TIMEOUT', ms: expect.any(Number) },
    ]);
    expect(servers.backup!.requests).toBe(0);
  });

  it("takes the request's timeoutMs as the deadline over the group's", async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair);
    servers.primary!.inject({ kind: 'hang' });
    const error = await failureOf(runtime.request('chat', hello, { timeoutMs: 120 }));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('chat: no answer within 120 ms');
  });

  it("cancels the member in flight when the caller's signal aborts", async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair);
    servers.primary!.inject({ kind: 'hang' });
    const controller = new AbortController();
    const call = runtime.request('chat', hello, { signal: controller.signal });
    await servers.primary!.waitForRequests(1);
    controller.abort();
    const error = await failureOf(call);
    expect(error.code).toBe('ABORTED');
    expect(error.route?.attempts).toEqual([
      { client: 'primary', code: 'ABORTED', ms: expect.any(Number) },
    ]);
    expect(servers.backup!.requests).toBe(0);
    expect(runtime.health('primary').fuse.failures).toBe(0);
  });
});

describe('context overflow', () => {
  const overflow = {
    kind: 'status' as const,
    status: 400,
    body: JSON.stringify({
      error: {
        message: "This model's maximum context length is 8192 tokens.",
        type: 'invalid_request_error',
        code: 'context_length_exceeded',
      },
    }),
  };

  it('goes to the onContextOverflow members, not to the other members', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup', 'long'], {
      chat: { members: ['primary', 'backup'], onContextOverflow: ['long'] },
    });
    servers.primary!.inject(overflow);
    const answer = await runtime.request('chat', hello);
    expect(answer.client).toBe('long');
    expect(servers.backup!.requests).toBe(0);
    expect(answer.route!.attempts.map((a) => [a.client, a.code])).toEqual([
      ['primary', 'PROVIDER_ERROR'],
      ['long', undefined],
    ]);
  });

  it('comes back with the provider code when the group has no larger member', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair);
    servers.primary!.inject(overflow);
    const error = await failureOf(runtime.request('chat', hello));
    expect(error.status).toBe(400);
    expect(error.providerError?.code).toBe('context_length_exceeded');
    expect(servers.backup!.requests).toBe(0);
  });

  it("knows Anthropic's prompt is too long", async () => {
    const { runtime, servers } = await groups.start(
      ['primary', 'long'],
      { chat: { members: ['primary'], onContextOverflow: ['long'] } },
      {
        client: (name, server) => ({
          provider: 'anthropic',
          baseUrl: server.origin,
          model: `${name}-model`,
          apiKey: 'k',
        }),
      },
    );
    servers.primary!.inject(anthropicOverflow);
    expect((await runtime.request('chat', hello)).client).toBe('long');
  });
});
