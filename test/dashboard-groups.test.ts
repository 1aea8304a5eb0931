import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway/server.js';
import {
  createRuntime,
  type GroupHealth,
  type GroupSeriesPoints,
  type Runtime,
} from '../src/index.js';
import { GroupSeries } from '../src/groups/series.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';

const T0 = 1_700_000_000_000;
const PROMPT = 'PRIVATE-9c41e2 my account number';
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('group series', () => {
  it('counts answered calls, failed calls and failovers a second apart, and forgets old seconds', () => {
    const series = new GroupSeries(5);
    series.count('succeeded', T0);
    series.count('failovers', T0 + 300);
    series.count('succeeded', T0 + 900);
    series.count('failed', T0 + 1_200);
    const p = series.points(T0 + 2_000);
    expect(p.kind).toBe('group');
    expect(p.start).toBe(T0 - 2_000);
    expect(p.succeeded).toEqual([0, 0, 2, 0, 0]);
    expect(p.failovers).toEqual([0, 0, 1, 0, 0]);
    expect(p.failed).toEqual([0, 0, 0, 1, 0]);
    // A clock that stepped back counts into the current second.
    series.count('failed', T0);
    expect(series.points(T0 + 2_000).failed).toEqual([0, 0, 0, 1, 1]);
    expect(series.points(T0 + 60_000).succeeded).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('groups in the runtime series and the open views', () => {
  let server: TestServer | undefined;
  let runtime: Runtime | undefined;
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.close({ timeoutMs: 0 });
    await runtime?.stop({ timeoutMs: 0 });
    await server?.close();
    gateway = runtime = server = undefined;
  });

  async function start(): Promise<Runtime> {
    server = await startTestServer();
    const member = {
      provider: 'openai' as const,
      baseUrl: server.url,
      model: 'm',
      retry: false as const,
    };
    runtime = await createRuntime({
      clients: { first: member, second: member },
      groups: { chat: { members: ['first', 'second'] } },
      logger: false,
    });
    return runtime;
  }

  it('charts a group’s calls and failovers as its health counts them', async () => {
    const rt = await start();
    await rt.request('chat', [{ role: 'user', content: 'one' }]);
    server!.inject({ kind: 'status', status: 503 }, { times: 1 });
    await rt.request('chat', [{ role: 'user', content: 'two' }]);
    // A caller fault: the group fails at once, with no failover.
    server!.inject({ kind: 'status', status: 400 }, { times: 1 });
    await rt.request('chat', [{ role: 'user', content: 'three' }]).catch(() => 0);
    const p = rt.series<GroupSeriesPoints>('chat');
    const health = rt.health<GroupHealth>('chat');
    expect(p.succeeded).toHaveLength(300);
    expect([sum(p.succeeded), sum(p.failed), sum(p.failovers)]).toEqual([2, 1, 1]);
    expect(health.failovers).toBe(1);
    expect(health.requests).toEqual({ total: 3, succeeded: 2, failed: 1 });
  });

  it('lists groups in /health, /health/<group> and /events, their last error without request content', async () => {
    const rt = await start();
    const message = `Input validation error: '${PROMPT}' has too many tokens`;
    server!.inject({ kind: 'status', status: 400, body: JSON.stringify({ error: { message } }) });
    await rt.request('chat', [{ role: 'user', content: PROMPT }]).catch(() => 0);
    // The library's own health keeps the message.
    expect(rt.health<GroupHealth>('chat').lastError?.message).toContain(PROMPT);
    gateway = await createGateway(rt, { port: 0, logger: false });
    const all = (await (await fetch(`${gateway.url}/health`)).json()) as Record<string, unknown>;
    expect(Object.keys(all)).toEqual(['first', 'second', 'chat']);
    const one = (await (await fetch(`${gateway.url}/health/chat`)).json()) as GroupHealth;
    expect(one).toMatchObject({ kind: 'group', name: 'chat', strategy: 'fallback' });
    expect(one.members.map((m) => m.client)).toEqual(['first', 'second']);
    expect(one.lastError).toMatchObject({
      code: 'PROVIDER_ERROR',
      message: 'the provider answered with an error',
    });
    const events = await fetch(`${gateway.url}/events`);
    const reader = events.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(first).toContain('"kind":"group"');
    for (const view of [JSON.stringify(all), JSON.stringify(one), first]) {
      expect(view).not.toContain('PRIVATE-9c41e2');
    }
    const series = (await (await fetch(`${gateway.url}/dashboard/series`)).json()) as {
      clients: Record<string, { kind?: string }>;
    };
    expect(series.clients.chat!.kind).toBe('group');
  });
});
