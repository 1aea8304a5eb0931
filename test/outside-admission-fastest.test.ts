/**
 * The `fastest` strategy ranks members by their recent latency — recent: a member ranked last
 * after one failure (which counts as its whole timeout) or one slow answer is measured again
 * once that sample is a minute old, and is first again if it is fast. The runtime's clock runs
 * ahead of the real one by hand; the upstreams are real local servers.
 */
import { describe, expect, it } from 'vitest';
import { groupsPerTest, hello, offsetClock } from './support/groups.js';

const groups = groupsPerTest();

describe('fastest', () => {
  it('measures again a member whose failure is a minute old, and puts it first when it is fast', async () => {
    const clock = offsetClock();
    const { runtime, servers } = await groups.start(
      ['quick', 'slow'],
      { chat: { members: ['quick', 'slow'], strategy: 'fastest' } },
      { runtime: { clock } },
    );
    servers.slow!.inject({ kind: 'latency', ms: 60 });
    const ask = async () => (await runtime.request('chat', hello, { cache: false })).client;
    // Each unmeasured member goes first once, then the quicker one leads.
    expect([await ask(), await ask(), await ask()]).toEqual(['quick', 'slow', 'quick']);
    // One 503: quick is ranked as its timeout (30 s) and slow takes over.
    servers.quick!.inject({ kind: 'status', status: 503 }, { times: 1 });
    expect(await ask()).toBe('slow');
    expect(await ask()).toBe('slow');
    clock.offset += 30_000;
    expect(await ask()).toBe('slow');
    // A minute after it, quick's failure is no longer recent: it is asked first again, and
    // being quick it keeps the lead.
    clock.offset += 31_000;
    expect([await ask(), await ask()]).toEqual(['quick', 'quick']);
    expect(servers.quick!.requests).toBe(5);
  });
});
