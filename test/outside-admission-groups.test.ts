/**
 * A group and its members' admission: a member whose `rateLimit` budget has no room now, or
 * that a 429 parked, is not waited for — the group moves on at once to a member that can
 * answer, without a request to the first — while the same client called by name still waits
 * within its deadline. The runtime's clock is moved by hand.
 */
import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../src/index.js';
import { groupsPerTest, hello, manualClock, openaiClient } from './support/groups.js';

const groups = groupsPerTest();
const pair = { chat: { members: ['primary', 'backup'] } };

/** A group `chat` whose `primary` may send `rpm` requests a minute; `backup` has no limit. */
async function limitedPair(rateLimit: ClientConfig['rateLimit']) {
  const clock = manualClock();
  const started = await groups.start(['primary', 'backup'], pair, {
    client: (name, server) =>
      openaiClient(server, {
        model: `${name}-model`,
        cache: false,
        ...(name === 'primary' ? { rateLimit } : {}),
      }),
    runtime: { clock },
  });
  return { ...started, clock };
}

describe('a group member out of its rate budget', () => {
  it('is not waited for: the call moves on to the next member at once, without a request to it', async () => {
    // Ten a minute: after ten, the next request would wait 6 s (well within every deadline).
    const { runtime, servers, clock } = await limitedPair({ requestsPerMinute: 10 });
    for (let i = 0; i < 10; i++) await runtime.request('primary', hello);
    const answer = await runtime.request('chat', hello);
    expect(answer.client).toBe('backup');
    expect(answer.route!.attempts).toEqual([
      { client: 'primary', code: 'RATE_LIMITED', ms: 0 },
      { client: 'backup', ms: 0 },
    ]);
    expect(servers.primary!.requests).toBe(10);
    expect(runtime.health('primary').requests.queued).toBe(0);
    // Once the budget has room again the group is back on its first member.
    clock.advance(6_000);
    expect((await runtime.request('chat', hello)).client).toBe('primary');
  });

  it('is not waited for by a streamed call either', async () => {
    const { runtime, servers } = await limitedPair({ requestsPerMinute: 10 });
    for (let i = 0; i < 10; i++) await runtime.request('primary', hello);
    const s = runtime.stream('chat', hello);
    const completion = await s.completion;
    expect(completion.client).toBe('backup');
    expect(completion.route!.attempts[0]).toMatchObject({
      client: 'primary',
      code: 'RATE_LIMITED',
    });
    expect(servers.primary!.requests).toBe(10);
  });

  it('is not waited for when its tokensPerMinute has no room', async () => {
    const { runtime, servers } = await limitedPair({ tokensPerMinute: 100 });
    // 'user' and 396 characters: 100 tokens, the whole bucket (the usage settles it to ~10).
    await runtime.request('primary', [{ role: 'user', content: 'x'.repeat(396) }]);
    const answer = await runtime.request('chat', [{ role: 'user', content: 'y'.repeat(396) }]);
    expect(answer.client).toBe('backup');
    expect(servers.primary!.requests).toBe(1);
  });

  it('fails the call at once with RATE_LIMITED and its wait when no member can answer now', async () => {
    const clock = manualClock();
    const { runtime, servers } = await groups.start(
      ['primary'],
      { chat: { members: ['primary'] } },
      {
        client: (_name, server) =>
          openaiClient(server, { cache: false, rateLimit: { requestsPerMinute: 2 } }),
        runtime: { clock },
      },
    );
    await runtime.request('chat', hello);
    await runtime.request('chat', hello);
    const error = await runtime.request('chat', hello).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 30_000 });
    expect((error as Error).message).not.toContain("after the request's deadline");
    expect(servers.primary!.requests).toBe(2);
  });

  it('still holds a call to the member by name until its budget has room', async () => {
    const { runtime, servers, clock } = await limitedPair({ requestsPerMinute: 1 });
    await runtime.request('primary', hello);
    const byName = runtime.request('primary', hello, { timeoutMs: 120_000 });
    // While a request waits for it, the member is parked: the group skips it without asking.
    const answer = await runtime.request('chat', hello);
    expect(answer.route!.attempts[0]).toEqual({ client: 'primary', code: 'RATE_LIMITED', ms: 0 });
    expect(servers.primary!.requests).toBe(1);
    clock.advance(60_000);
    await expect(byName).resolves.toMatchObject({ client: 'primary' });
  });
});

describe('a group member parked by a 429 that named a time', () => {
  it('is skipped with a RATE_LIMITED that tells when the park ends, not that it ends past the deadline', async () => {
    const { runtime, servers } = await groups.start(['primary'], {
      chat: { members: ['primary'] },
    });
    servers.primary!.inject({ kind: 'status', status: 429, retryAfter: 30 }, { times: 1 });
    await runtime.request('chat', hello, { cache: false }).catch(() => undefined);
    // The park ends within the group's 60 s deadline: the group does not wait for it.
    const error = await runtime.request('chat', hello, { cache: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', client: 'primary' });
    expect((error as Error).message).not.toContain("after the request's deadline");
    expect(servers.primary!.requests).toBe(1);
  });
});
