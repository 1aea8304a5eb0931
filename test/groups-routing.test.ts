import { describe, expect, it } from 'vitest';
import {
  createRuntime,
  isLlmActorsError,
  type Clock,
  type GroupHealth,
  type RuntimeConfig,
} from '../src/index.js';
import {
  groupsPerTest,
  hello,
  manualClock,
  offsetClock,
  openaiClient,
  hedgedPair,
} from './support/groups.js';

const groups = groupsPerTest();
const pair = { chat: { members: ['primary', 'backup'] } };

/** A clock on real timers whose `random` plays `draws` in a loop. */
function drawing(draws: number[]): Clock {
  let i = 0;
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    random: () => draws[i++ % draws.length]!,
  };
}

async function configError(config: RuntimeConfig): Promise<string> {
  const error = await createRuntime({ logger: false, ...config }).then(
    (r) => r.stop().then(() => undefined),
    (e: unknown) => e,
  );
  if (!isLlmActorsError(error, 'INVALID_CONFIG')) throw new Error('expected INVALID_CONFIG');
  return error.message;
}

describe('strategies', () => {
  it('fallback tries the members in their order', async () => {
    const { runtime } = await groups.start(['a', 'b', 'c'], {
      chat: { members: ['c', 'a', 'b'], strategy: 'fallback' },
    });
    expect((await runtime.request('chat', hello)).client).toBe('c');
  });

  it('weighted picks by weight with the runtime clock’s random draws', async () => {
    const { runtime, servers } = await groups.start(
      ['light', 'heavy'],
      {
        chat: {
          strategy: 'weighted',
          members: [
            { client: 'light', weight: 1 },
            { client: 'heavy', weight: 3 },
          ],
        },
      },
      // Each call draws once per place: 0.1 lands in light's quarter, 0.9 in heavy's share.
      { runtime: { clock: drawing([0.1, 0, 0.9, 0, 0.9, 0]) } },
    );
    expect((await runtime.request('chat', hello, { cache: false })).client).toBe('light');
    expect((await runtime.request('chat', hello, { cache: false })).client).toBe('heavy');
    // The failover order is drawn too: the member not drawn first comes second.
    servers.heavy!.inject({ kind: 'status', status: 503 }, { times: 1 });
    const answer = await runtime.request('chat', hello, { cache: false });
    expect(answer.route!.attempts.map((a) => a.client)).toEqual(['heavy', 'light']);
  });

  it('weighted never picks a member of weight 0 first', async () => {
    const { runtime } = await groups.start(
      ['spare', 'main'],
      {
        chat: {
          strategy: 'weighted',
          members: [
            { client: 'spare', weight: 0 },
            { client: 'main', weight: 1 },
          ],
        },
      },
      { runtime: { clock: drawing([0]) } },
    );
    expect((await runtime.request('chat', hello)).client).toBe('main');
  });

  it('least-busy sends the call to the member with the fewest requests under way', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], {
      chat: { members: ['primary', 'backup'], strategy: 'least-busy' },
    });
    servers.primary!.inject({ kind: 'hang' }, { times: 1 });
    const controller = new AbortController();
    const held = runtime.request('chat', hello, { signal: controller.signal });
    await servers.primary!.waitForRequests(1);
    expect(runtime.health('primary').requests.inFlight).toBe(1);
    expect((await runtime.request('chat', hello, { cache: false })).client).toBe('backup');
    controller.abort();
    await held.catch(() => undefined);
  });

  it('fastest tries the member with the lowest recent latency first, unmeasured ones before', async () => {
    const { runtime, servers } = await groups.start(['slow', 'quick'], {
      chat: { members: ['slow', 'quick'], strategy: 'fastest' },
    });
    servers.slow!.inject({ kind: 'latency', ms: 150 });
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      order.push((await runtime.request('chat', hello, { cache: false })).client);
    }
    expect(order).toEqual(['slow', 'quick', 'quick']);
  });
});

describe('members that cannot answer now', () => {
  it('skips a member whose fuse is open, without a request', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair, {
      client: (name, server) =>
        openaiClient(server, { model: `${name}-model`, fuse: { maxFailures: 1 } }),
    });
    servers.primary!.inject({ kind: 'status', status: 503 });
    await runtime.request('chat', hello, { cache: false });
    expect(runtime.health('primary').fuse.state).toBe('open');
    const answer = await runtime.request('chat', hello, { cache: false });
    expect(answer.client).toBe('backup');
    expect(answer.route!.attempts[0]).toEqual({ client: 'primary', code: 'FUSE_OPEN', ms: 0 });
    expect(servers.primary!.requests).toBe(1);
    expect(runtime.health<GroupHealth>('chat').members[0]).toMatchObject({
      client: 'primary',
      fuse: 'open',
      ready: false,
    });
  });

  it('skips a member parked by a 429 that named a time, without a request, and says so', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair);
    servers.primary!.inject({ kind: 'status', status: 429, retryAfter: 30 }, { times: 1 });
    const first = await runtime.request('chat', hello, { cache: false });
    expect(first.client).toBe('backup');
    expect(first.route!.attempts[0]).toMatchObject({ client: 'primary', code: 'PROVIDER_ERROR' });
    expect(runtime.health('primary').parkedUntil).not.toBeNull();
    expect(runtime.health('primary').fuse.failures).toBe(0);
    const second = await runtime.request('chat', hello, { cache: false });
    expect(second.client).toBe('backup');
    expect(second.route!.attempts[0]).toEqual({ client: 'primary', code: 'RATE_LIMITED', ms: 0 });
    expect(servers.primary!.requests).toBe(1);
  });

  it('skips a failed member, and fails with its error when no member can answer', async () => {
    const { runtime, servers } = await groups.start(
      ['primary'],
      { chat: { members: ['primary'] } },
      { runtime: { supervisor: { maxRestarts: 0 } } },
    );
    runtime.kill('primary');
    await expect.poll(() => runtime.health('primary').status).toBe('failed');
    const error = await runtime.request('chat', hello).catch((e: unknown) => e);
    expect(isLlmActorsError(error, 'CLIENT_FAILED')).toBe(true);
    expect(servers.primary!.requests).toBe(0);
  });
});

describe('a member being restarted', () => {
  it('is skipped without waiting for its restart', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair, {
      runtime: { supervisor: { backoffMs: 60_000 } },
    });
    runtime.kill('primary');
    expect(runtime.health('primary').status).toBe('restarting');
    const answer = await runtime.request('chat', hello);
    expect(answer.client).toBe('backup');
    expect(answer.route!.attempts[0]).toEqual({
      client: 'primary',
      code: 'CLIENT_RESTARTED',
      ms: 0,
    });
    expect(servers.primary!.requests).toBe(0);
  });
});

describe('hedging', () => {
  it('starts the next member when the first is slow; the first success wins, the loser is cancelled and its fuse unaffected', async () => {
    const { runtime, servers, clock } = await hedgedPair(groups, 2_000);
    const call = runtime.request('chat', hello);
    await servers.primary!.waitForRequests(1);
    clock.advance(1_999);
    expect(servers.backup!.requests).toBe(0);
    clock.advance(1);
    const answer = await call;
    expect(answer.client).toBe('backup');
    expect(answer.route!.attempts).toEqual([
      { client: 'backup', ms: 0 },
      { client: 'primary', code: 'ABORTED', ms: 2_000 },
    ]);
    await expect.poll(() => runtime.health('primary').requests.inFlight).toBe(0);
    expect(runtime.health('primary').fuse).toMatchObject({ state: 'closed', failures: 0 });
    expect(runtime.health('primary').lastError?.code).toBe('ABORTED');
    expect(runtime.health<GroupHealth>('chat')).toMatchObject({ hedges: 1, failovers: 0 });
  });

  it('starts no hedge when the first member answers in time', async () => {
    const clock = manualClock();
    const { runtime, servers } = await groups.start(
      ['primary', 'backup'],
      { chat: { members: ['primary', 'backup'], hedge: { afterMs: 2_000 } } },
      { runtime: { clock } },
    );
    expect((await runtime.request('chat', hello)).client).toBe('primary');
    clock.advance(5_000);
    expect(servers.backup!.requests).toBe(0);
    expect(runtime.health<GroupHealth>('chat').hedges).toBe(0);
  });
});

describe('recovery after repeated melts', () => {
  it('probes a melted member again resetMs after its last melt while another member carries the traffic', async () => {
    // Time moves by hand: `now` runs ahead of the real clock.
    const clock = offsetClock();
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair, {
      client: (name, server) =>
        openaiClient(server, { model: `${name}-model`, fuse: { maxFailures: 2 } }),
      runtime: { clock },
    });
    servers.primary!.inject({ kind: 'status', status: 503 });
    const served: Array<[number, string]> = [];
    // A 503 for the first 120 s, then healthy; a call every 4 s.
    for (let t = 0; t <= 160; t += 4) {
      clock.offset = t * 1000;
      if (t === 120) servers.primary!.clearFaults();
      const answer = await runtime.request('chat', hello, { cache: false });
      served.push([t, answer.client]);
    }
    const back = served.find(([t, client]) => t >= 120 && client === 'primary')![0];
    // Default backoff would keep it open 10, 20, 40, 80 s: back only at 152 s or later.
    expect(back - 120).toBeLessThanOrEqual(14);
    expect(served.filter(([t]) => t < 120).every(([, c]) => c === 'backup')).toBe(true);
    expect(runtime.health('primary').fuse.melts).toBeGreaterThan(4);
  });
});

describe('the outage of fault 15', () => {
  it('is served by the fallback during a 60 s outage and back on the primary within 30 s, with default fuses', async () => {
    const clock = offsetClock();
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair, {
      runtime: { clock },
    });
    servers.primary!.inject({ kind: 'status', status: 503 });
    const served: Array<[number, string]> = [];
    for (let i = 0; i < 20; i++) {
      const t = i * 4;
      clock.offset = t * 1000;
      if (t === 60) servers.primary!.clearFaults();
      served.push([t, (await runtime.request('chat', hello, { cache: false })).client]);
    }
    expect(served.filter(([t]) => t < 60).every(([, c]) => c === 'backup')).toBe(true);
    expect(served.filter(([t]) => t >= 90).every(([, c]) => c === 'primary')).toBe(true);
  });
});

describe('groups at run time', () => {
  it('registers and unregisters a group, listed by groups() and health()', async () => {
    const { runtime } = await groups.start(['primary', 'backup'], {});
    await runtime.register('chat', { members: ['backup', 'primary'], strategy: 'fallback' });
    expect(runtime.groups()).toEqual(['chat']);
    expect(runtime.clients()).toEqual(['primary', 'backup']);
    expect((await runtime.request('chat', hello)).client).toBe('backup');
    const all = runtime.health();
    expect(all.primary!.kind).toBe('client');
    expect(all.chat).toMatchObject({
      kind: 'group',
      name: 'chat',
      strategy: 'fallback',
      requests: { total: 1, succeeded: 1, failed: 0 },
      members: [
        { client: 'backup', status: 'running', fuse: 'closed', ready: true },
        { client: 'primary', status: 'running', fuse: 'closed', ready: true },
      ],
    });
    expect(runtime.health<GroupHealth>('chat').latencyMs.p50).toBeGreaterThan(0);
    await runtime.unregister('chat');
    expect(runtime.groups()).toEqual([]);
    const error = await runtime.request('chat', hello).catch((e: unknown) => e);
    expect(isLlmActorsError(error, 'UNKNOWN_CLIENT')).toBe(true);
  });

  it('refuses to unregister a client that a group counts on, naming the group', async () => {
    const { runtime } = await groups.start(['primary', 'backup'], pair);
    await expect(runtime.unregister('primary')).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'clients.primary: a member of group chat; unregister the group first',
    });
    await runtime.unregister('chat');
    await runtime.unregister('primary');
    expect(runtime.clients()).toEqual(['backup']);
  });

  it('refuses a client or a group whose name is taken by the other', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], pair);
    await expect(runtime.register('chat', openaiClient(servers.primary!))).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    await expect(runtime.register('primary', { members: ['backup'] })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'groups.primary: a client has this name already',
    });
    await expect(runtime.register('chat', { members: ['backup'] })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});

describe('group config errors', () => {
  const clients = {
    primary: { provider: 'openai' as const, model: 'm', baseUrl: 'http://127.0.0.1:9' },
  };

  it.each([
    [
      'an unknown member',
      { chat: { members: ['primary', 'nope'] } },
      'groups.chat.members.1: no client named nope',
    ],
    [
      'a member that is a group',
      { inner: { members: ['primary'] }, chat: { members: ['inner'] } },
      'groups.chat.members.0: inner is a group; members are clients',
    ],
    [
      'a name clash with a client',
      { primary: { members: ['primary'] } },
      'groups.primary: a client has this name already',
    ],
    [
      'no members',
      { chat: { members: [] } },
      'groups.chat.members: a group needs at least one member',
    ],
    [
      'a negative weight',
      { chat: { members: [{ client: 'primary', weight: -1 }] } },
      'groups.chat.members.0.weight: must be 0 or more',
    ],
    [
      'every weight 0',
      { chat: { strategy: 'weighted', members: [{ client: 'primary', weight: 0 }] } },
      'groups.chat.members: every weight is 0',
    ],
    [
      'an unknown strategy',
      { chat: { members: ['primary'], strategy: 'random' } },
      'groups.chat.strategy: expected one of fallback, weighted, least-busy, fastest',
    ],
    [
      'an unknown overflow client',
      { chat: { members: ['primary'], onContextOverflow: ['big'] } },
      'groups.chat.onContextOverflow.0: no client named big',
    ],
    [
      'a bad hedge',
      { chat: { members: ['primary'], hedge: { afterMs: 0 } } },
      'groups.chat.hedge.afterMs:',
    ],
  ])('names the field for %s', async (_what, groupsConfig, message) => {
    expect(await configError({ clients, groups: groupsConfig as never })).toContain(message);
  });
});
