/**
 * A group behind the gateway whose members have their own `rateLimit`, driven with the official
 * `openai` client: a member out of budget is passed over for one that can answer now, never
 * waited for while the others are free.
 */
import { describe, expect, it } from 'vitest';
import { manualClock } from './support/groups.js';
import { asked, HELLO, sdkError, servedGroupPerTest } from './support/outside-groups.js';

const served = servedGroupPerTest();

describe('a group of rate-limited members behind the gateway', () => {
  it('sends the call after the primary spent its budget to the backup at once, not after the refill', async () => {
    // The clock never moves: a call that waited for the primary's refill would never answer.
    const clock = manualClock();
    const group = await served.serve({
      client: { rateLimit: { requestsPerMinute: 2 } },
      runtime: { clock },
    });
    const { sdk, runtime } = group;
    const call = () =>
      sdk.chat.completions.create({ model: 'chat', messages: HELLO }).withResponse();
    for (let i = 0; i < 2; i++) expect((await call()).data.model).toBe('primary-model');
    const third = await call();
    expect(third.response.headers.get('x-llm-actors-client')).toBe('backup');
    expect(third.data.model).toBe('backup-model');
    expect(asked(group)).toEqual([2, 1]);
    // Still out of budget: the next call passes it over too, without an upstream request, and
    // nothing waits in its queue.
    expect((await call()).data.model).toBe('backup-model');
    expect(asked(group)).toEqual([2, 2]);
    expect(runtime.health('primary').requests.queued).toBe(0);
  });

  it('answers a 429 with Retry-After at once when every member is out of budget', async () => {
    const clock = manualClock();
    const group = await served.serve({
      // Four a minute: the next request has room in 15 s, well within a member's deadline.
      client: { rateLimit: { requestsPerMinute: 4 } },
      runtime: { clock },
    });
    const { once } = group;
    for (let i = 0; i < 8; i++)
      await once.chat.completions.create({ model: 'chat', messages: HELLO });
    const error = await sdkError(once.chat.completions.create({ model: 'chat', messages: HELLO }));
    expect(error).toMatchObject({
      name: 'RateLimitError',
      status: 429,
      code: 'RATE_LIMITED',
      shouldRetry: 'true',
      retryAfter: '15',
    });
    expect(error.message).toContain('tried primary (RATE_LIMITED), backup (RATE_LIMITED)');
    expect(asked(group)).toEqual([4, 4]);
  });
});
