/**
 * Callers that hang up on a group behind the gateway mid-way — during a hedge, a failover or a
 * resumed stream: every member under way is cancelled, nothing is left in flight, and the call
 * ends counted as failed (ABORTED), neutral for the members' fuses.
 */
import type { GroupHealth } from '../src/index.js';
import { describe, expect, it } from 'vitest';
import { manualClock } from './support/groups.js';
import {
  asked,
  HELLO,
  inFlight,
  servedGroupPerTest,
  type ServedGroup,
} from './support/outside-groups.js';

const served = servedGroupPerTest();

/** Nothing left running, the call counted once as failed, the cancelled members' fuses untouched. */
async function settledAfterHangUp(group: ServedGroup, cancelled: string[]): Promise<void> {
  await expect.poll(() => inFlight(group)).toEqual({ primary: 0, backup: 0 });
  await expect
    .poll(() => group.runtime.health<GroupHealth>('chat').requests)
    .toEqual({ total: 1, succeeded: 0, failed: 1 });
  expect(group.runtime.health<GroupHealth>('chat').lastError?.code).toBe('ABORTED');
  for (const name of cancelled) expect(group.runtime.health(name).fuse.failures).toBe(0);
}

describe('a caller hanging up on a group behind the gateway', () => {
  it('cancels both members of a hedged stream that had not started', async () => {
    const clock = manualClock();
    const group = await served.serve({ group: { hedge: { afterMs: 500 } }, runtime: { clock } });
    group.servers.primary!.inject({ kind: 'hang' });
    group.servers.backup!.inject({ kind: 'hang' });
    const hangUp = new AbortController();
    const call = group.once.chat.completions
      .create({ model: 'chat', messages: HELLO, stream: true }, { signal: hangUp.signal })
      .catch((error: Error) => error.name);
    await group.servers.primary!.waitForRequests(1);
    clock.advance(500);
    await group.servers.backup!.waitForRequests(1);
    expect(inFlight(group)).toEqual({ primary: 1, backup: 1 });
    hangUp.abort();
    expect(await call).toBe('Error');
    await settledAfterHangUp(group, ['primary', 'backup']);
  });

  it('cancels the member a plain call failed over to', async () => {
    const group = await served.serve();
    group.servers.primary!.inject({ kind: 'status', status: 503 });
    group.servers.backup!.inject({ kind: 'hang' });
    const hangUp = new AbortController();
    const call = group.once.chat.completions
      .create({ model: 'chat', messages: HELLO }, { signal: hangUp.signal })
      .catch((error: Error) => error.name);
    await group.servers.backup!.waitForRequests(1);
    hangUp.abort();
    expect(await call).toBe('Error');
    await settledAfterHangUp(group, ['backup']);
    expect(asked(group)).toEqual([1, 1]);
  });

  it('cancels the member resuming a cut stream, after the caller had its first words', async () => {
    const group = await served.serve({ group: { resumeStreams: true } });
    group.servers.primary!.setReply(() => 'one two three four');
    group.servers.primary!.inject({ kind: 'stream_cut', afterDeltas: 2 });
    group.servers.backup!.inject({ kind: 'hang' });
    const hangUp = new AbortController();
    const stream = await group.once.chat.completions.create(
      { model: 'chat', messages: HELLO, stream: true },
      { signal: hangUp.signal },
    );
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (text === 'one two ') {
        // The primary is cut; the backup is asked to continue and never answers.
        await group.servers.backup!.waitForRequests(1);
        hangUp.abort();
      }
    }
    expect(text).toBe('one two ');
    expect(group.servers.backup!.lastRequest()!.messages.at(-1)).toEqual({
      role: 'assistant',
      content: 'one two',
    });
    await settledAfterHangUp(group, ['backup']);
  });
});
