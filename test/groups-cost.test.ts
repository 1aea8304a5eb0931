/**
 * What a group call costs: each attempt that paid has its `costUsd` in the route, the call's
 * `costUsd` is their sum, and each member's `health.cost` (and the gateway's counter) holds what
 * it paid itself — a cut stream is charged to the member that reported its usage, a member that
 * failed without being billed is charged nothing. The group's health sums its calls; a member
 * over its budget is passed over for the next.
 */
import { describe, expect, it } from 'vitest';
import { createGateway } from '../src/gateway/index.js';
import type { ClientConfig, CompletionStream, GroupHealth } from '../src/index.js';
import type { TestServer } from '../src/testing/index.js';
import { failure } from './support/failure.js';
import { groupsPerTest, hello, openaiClient } from './support/groups.js';

const groups = groupsPerTest();

/** Claude with its prompt-cache rates: $3 input, $0.30 cache read, $3.75 cache write, $15 output. */
const claudePricing = {
  inputPerMTok: 3,
  cachedInputPerMTok: 0.3,
  cacheWritePerMTok: 3.75,
  outputPerMTok: 15,
};
/** GPT-4o's rates: $2.50 input, $1.25 cached, $10 output. */
const gptPricing = { inputPerMTok: 2.5, cachedInputPerMTok: 1.25, outputPerMTok: 10 };

/** `claude` (Anthropic's format) then `gpt` (OpenAI's), both priced, in the group `chat`. */
function claudeThenGpt(extra: { resumeStreams?: boolean } = {}) {
  return groups.start(
    ['claude', 'gpt'],
    { chat: { members: ['claude', 'gpt'], ...extra } },
    {
      client: (name, server: TestServer): ClientConfig =>
        name === 'claude'
          ? {
              provider: 'anthropic',
              baseUrl: server.origin,
              model: 'claude-model',
              apiKey: 'k',
              pricing: claudePricing,
            }
          : openaiClient(server, { model: 'gpt-model', pricing: gptPricing }),
    },
  );
}

/** Reads a stream to its end and returns its completion. */
async function completionOf(s: CompletionStream) {
  for await (const _ of s) void _;
  return s.completion;
}

/** Anthropic's usage for the cut stream: message_start carries the input, reads and writes. */
const claudeUsage = { promptTokens: 10_000, cachedPromptTokens: 6_000, cacheWriteTokens: 3_000 };
// message_start: input_tokens 1 000, the cache read and write, and 1 output token.
// (1000 × 3 + 6000 × 0.3 + 3000 × 3.75 + 1 × 15) / 1e6 = 16 065 / 1e6
const CLAUDE_CUT_USD = 0.016065;
/** 1 000 prompt tokens of which 800 cached, 200 completion tokens. */
const gptUsage = { promptTokens: 1000, cachedPromptTokens: 800, completionTokens: 200 };
// (200 × 2.5 + 800 × 1.25 + 200 × 10) / 1e6 = (500 + 1000 + 2000) / 1e6
const GPT_USD = 0.0035;

describe('the cost of a group call', () => {
  it('charges a stream cut after message_start to the member that was cut, and the call the sum', async () => {
    const { runtime, servers } = await claudeThenGpt();
    servers.claude!.enqueue({ text: 'an answer that never arrives', usage: claudeUsage });
    // Cut before any content delta: the group fails over as if nothing had been said.
    servers.claude!.inject({ kind: 'stream_cut', afterDeltas: 0 }, { times: 1 });
    servers.gpt!.enqueue({ text: 'ok', usage: gptUsage });
    const completion = await completionOf(runtime.stream('chat', hello));
    expect(completion.client).toBe('gpt');
    const [cut, answer] = completion.route!.attempts;
    expect(cut).toMatchObject({ client: 'claude', code: 'NETWORK_ERROR' });
    expect(cut!.costUsd).toBeCloseTo(CLAUDE_CUT_USD, 12);
    expect(answer).toMatchObject({ client: 'gpt' });
    expect(answer!.code).toBeUndefined();
    expect(answer!.costUsd).toBeCloseTo(GPT_USD, 12);
    // 0.016065 + 0.0035: what this call paid across both members.
    expect(completion.costUsd).toBeCloseTo(0.019565, 12);
    // The usage is the answering member's own.
    expect(completion.usage).toMatchObject({ promptTokens: 1000, completionTokens: 200 });
    expect(runtime.health('claude').cost!.usd).toBeCloseTo(CLAUDE_CUT_USD, 12);
    expect(runtime.health('gpt').cost!.usd).toBeCloseTo(GPT_USD, 12);
    expect(runtime.health<GroupHealth>('chat').cost).toEqual({ usd: 0.019565 });
  });

  it('charges a resumed stream both the cut member and the one that finished it', async () => {
    const { runtime, servers } = await claudeThenGpt({ resumeStreams: true });
    servers.claude!.enqueue({ text: 'one two three four', usage: claudeUsage });
    servers.claude!.inject({ kind: 'stream_cut', afterDeltas: 2 }, { times: 1 });
    servers.gpt!.enqueue({ text: 'three four', usage: gptUsage });
    const completion = await completionOf(runtime.stream('chat', hello));
    expect(completion.text).toBe('one two three four');
    expect(completion.client).toBe('gpt');
    expect(completion.route!.attempts.map((a) => [a.client, a.code])).toEqual([
      ['claude', 'NETWORK_ERROR'],
      ['gpt', undefined],
    ]);
    expect(completion.route!.attempts[0]!.costUsd).toBeCloseTo(CLAUDE_CUT_USD, 12);
    expect(completion.route!.attempts[1]!.costUsd).toBeCloseTo(GPT_USD, 12);
    expect(completion.costUsd).toBeCloseTo(0.019565, 12);
    expect(runtime.health<GroupHealth>('chat').cost).toEqual({ usd: 0.019565 });
  });

  it('tells a failed call what it paid in error.route', async () => {
    const { runtime, servers } = await claudeThenGpt();
    servers.claude!.enqueue({ text: 'one two three four', usage: claudeUsage });
    // Cut after deltas reached the caller, with no resumeStreams: the call fails.
    servers.claude!.inject({ kind: 'stream_cut', afterDeltas: 2 }, { times: 1 });
    const error = await failure(completionOf(runtime.stream('chat', hello)));
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.route!.attempts).toHaveLength(1);
    expect(error.route!.attempts[0]!.costUsd).toBeCloseTo(CLAUDE_CUT_USD, 12);
    expect(servers.gpt!.requests).toBe(0);
    expect(runtime.health<GroupHealth>('chat').cost).toEqual({ usd: CLAUDE_CUT_USD });
  });

  it('charges nothing to a member that failed without being billed', async () => {
    const { runtime, servers } = await claudeThenGpt();
    servers.claude!.inject({ kind: 'status', status: 503 }, { times: 1 });
    servers.gpt!.enqueue({ text: 'ok', usage: gptUsage }, { text: 'ok', usage: gptUsage });
    const completion = await runtime.request('chat', hello, { cache: false });
    expect(completion.route!.attempts[0]).toEqual({
      client: 'claude',
      code: 'PROVIDER_ERROR',
      ms: completion.route!.attempts[0]!.ms,
    });
    expect(completion.costUsd).toBeCloseTo(GPT_USD, 12);
    // The next call is answered by claude itself: the route and the cost are its alone.
    servers.claude!.enqueue({ text: 'ok', usage: { promptTokens: 100, completionTokens: 10 } });
    const second = await runtime.request('chat', hello, { cache: false });
    expect(second.client).toBe('claude');
    // (100 × 3 + 10 × 15) / 1e6 = 450 / 1e6
    expect(second.costUsd).toBeCloseTo(0.00045, 12);
    expect(second.route!.attempts).toEqual([
      { client: 'claude', ms: expect.any(Number), costUsd: second.costUsd },
    ]);
    expect(runtime.health('claude').cost).toEqual({ usd: 0.00045 });
    expect(runtime.health('gpt').cost).toEqual({ usd: GPT_USD });
    expect(runtime.health<GroupHealth>('chat').cost).toEqual({ usd: 0.00395 });
  });

  it('counts each member in llm_actors_cost_usd_total with what it paid itself', async () => {
    const { runtime, servers } = await claudeThenGpt();
    servers.claude!.enqueue({ text: 'cut', usage: claudeUsage });
    servers.claude!.inject({ kind: 'stream_cut', afterDeltas: 0 }, { times: 1 });
    servers.gpt!.enqueue({ text: 'ok', usage: gptUsage });
    await completionOf(runtime.stream('chat', hello));
    const gateway = await createGateway(runtime, { port: 0, logger: false });
    try {
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      expect(metrics).toContain('llm_actors_cost_usd_total{client="claude"} 0.016065');
      expect(metrics).toContain('llm_actors_cost_usd_total{client="gpt"} 0.0035');
      expect(metrics).not.toContain('client="chat"');
    } finally {
      await gateway.close({ timeoutMs: 0 });
    }
  });

  it('has no cost when no member has a price table', async () => {
    const { runtime } = await groups.start(['primary', 'backup'], {
      chat: { members: ['primary', 'backup'] },
    });
    const completion = await runtime.request('chat', hello);
    expect(completion.costUsd).toBeUndefined();
    expect(completion.route!.attempts[0]!.costUsd).toBeUndefined();
    expect(runtime.health<GroupHealth>('chat').cost).toBeUndefined();
  });
});

describe('a member over its budget', () => {
  it('keeps resetAt on the BUDGET_EXCEEDED of a group whose every member spent its day', async () => {
    const { runtime, servers } = await groups.start(
      ['primary'],
      { chat: { members: ['primary'] } },
      {
        client: (_name, server) =>
          openaiClient(server, { pricing: gptPricing, budget: { usdPerDay: 0.001 } }),
      },
    );
    servers.primary!.enqueue({ text: 'spent', usage: gptUsage });
    await runtime.request('primary', hello, { cache: false });
    const error = await runtime.request('chat', hello, { cache: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', route: { group: 'chat' } });
    expect((error as { resetAt?: number }).resetAt).toBeGreaterThan(Date.now());
  });

  it('fails with BUDGET_EXCEEDED and the group answers from the next member', async () => {
    const { runtime, servers } = await groups.start(
      ['primary', 'backup'],
      { chat: { members: ['primary', 'backup'] } },
      {
        client: (name, server) =>
          openaiClient(server, {
            model: `${name}-model`,
            pricing: gptPricing,
            ...(name === 'primary' ? { budget: { usdPerDay: 0.001 } } : {}),
          }),
      },
    );
    servers.primary!.enqueue({ text: 'spent', usage: gptUsage });
    // A direct call spends primary's day: $0.0035 of its $0.001.
    await runtime.request('primary', hello, { cache: false });
    const completion = await runtime.request('chat', hello, { cache: false });
    expect(completion.client).toBe('backup');
    expect(completion.route!.attempts.map((a) => [a.client, a.code])).toEqual([
      ['primary', 'BUDGET_EXCEEDED'],
      ['backup', undefined],
    ]);
    expect(servers.primary!.requests).toBe(1);
    expect(runtime.health('primary').cost).toEqual({ usd: GPT_USD });
    expect(runtime.health<GroupHealth>('chat')).toMatchObject({ failovers: 1 });
  });
});
