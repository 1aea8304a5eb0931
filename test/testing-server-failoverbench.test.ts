/**
 * The failover faults of `llm-actors/testing` and failoverbench's sixteen cells, each checked on
 * the wire: requests counted, sockets reset or closed, streams cut, stalled or reshaped, and the
 * official `openai` client's view of the errors. Durations are parameters: small ones here.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FAILOVERBENCH_ANSWER,
  FAILOVERBENCH_MODELS,
  failoverbench,
  scoreFailoverbench,
  startFailoverbenchServers,
  startTestServer,
  type FailoverbenchCall,
  type FailoverbenchCell,
  type TestServer,
  type TestServerOptions,
} from '../src/testing/index.js';
import { rawExchange, sseData, type RawExchange } from './support/raw-stream.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: TestServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

async function cellServers(cell: FailoverbenchCell, now?: () => number) {
  const withClock = {
    ...cell,
    primary: { ...cell.primary, options: { ...cell.primary.options, now } },
  };
  const started = await startFailoverbenchServers(now ? withClock : cell);
  servers.push(started.primary, started.fallback);
  return started;
}

const hi = [{ role: 'user', content: 'hi' }];
const streamBody = (messages: object[] = hi) => ({
  model: 'm',
  messages,
  stream: true,
  stream_options: { include_usage: true },
});

function openStream(
  server: TestServer,
  messages?: object[],
  giveUpMs?: number,
): Promise<RawExchange> {
  return rawExchange(server.port, '/v1/chat/completions', streamBody(messages), { giveUpMs });
}

/** The parsed JSON chunks of a stream (terminator and invalid events left out). */
function jsonChunks(ex: RawExchange): Array<Record<string, any>> {
  return sseData(ex.chunks).flatMap((data) => {
    try {
      return [JSON.parse(data)];
    } catch {
      return [];
    }
  });
}

const text = (ex: RawExchange): string =>
  jsonChunks(ex)
    .map((c) => c.choices?.[0]?.delta?.content ?? '')
    .join('');
const finishes = (ex: RawExchange) =>
  jsonChunks(ex).flatMap((c) =>
    c.choices?.[0]?.finish_reason ? [c.choices[0].finish_reason] : [],
  );
const firstWords = (n: number): string =>
  FAILOVERBENCH_ANSWER.split(' ').slice(0, n).join(' ') + ' ';

function sdk(server: TestServer): OpenAI {
  return new OpenAI({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
}
const create = (server: TestServer, messages: object[] = hi) =>
  sdk(server).chat.completions.create({ model: 'm', messages: messages as never, stream: true });

describe('failover faults', () => {
  it('slow_first_token sends the headers and the role chunk at once and the first token after ms', async () => {
    const s = await serve({ reply: () => 'a b c' });
    s.inject({ kind: 'slow_first_token', ms: 300 });
    const ex = await openStream(s);
    expect(ex.status).toBe(200);
    const [role, first] = ex.chunks;
    expect(JSON.parse(role!.text.slice(6)).choices[0].delta).toEqual({
      role: 'assistant',
      content: '',
    });
    // The server writes the first token at least ms after it read the request, so after it too.
    expect(first!.at).toBeGreaterThanOrEqual(295);
    expect(text(ex)).toBe('a b c');
    expect(ex.complete).toBe(true);
    expect(s.stats).toMatchObject({ ok: 1, faults: { slow_first_token: 1 } });
  });

  it('stream_stall keeps the socket open and silent for ms after N tokens, then closes it', async () => {
    const s = await serve({ reply: () => 'a b c d e' });
    s.inject({ kind: 'stream_stall', afterDeltas: 2, ms: 300 });
    const ex = await openStream(s);
    expect(text(ex)).toBe('a b ');
    expect(finishes(ex)).toEqual([]);
    expect(ex.endAt).toBeGreaterThanOrEqual(295);
    expect(ex).toMatchObject({ ending: 'fin', complete: false });
    expect(sseData(ex.chunks)).not.toContain('[DONE]');
    expect(s.stats).toMatchObject({ ok: 0, faults: { stream_stall: 1 } });
  });

  it('bad_event inserts an invalid JSON event as the index-th event and keeps the whole answer', async () => {
    const s = await serve({ reply: () => 'a b c d e f g h i j k l' });
    s.inject({ kind: 'bad_event', index: 10 });
    const ex = await openStream(s);
    const events = sseData(ex.chunks);
    const invalid = events.flatMap((data, i) => (data === '[DONE]' || isJson(data) ? [] : [i + 1]));
    expect(invalid).toEqual([10]);
    expect(text(ex)).toBe('a b c d e f g h i j k l');
    expect(events.at(-1)).toBe('[DONE]');
    expect(ex.complete).toBe(true);
  });

  it('no_done sends the finish and the usage, then ends the chunked body cleanly without [DONE]', async () => {
    const s = await serve({ reply: () => 'a b c' });
    s.inject({ kind: 'no_done' });
    const ex = await openStream(s);
    expect(text(ex)).toBe('a b c');
    expect(finishes(ex)).toEqual(['stop']);
    expect(jsonChunks(ex).at(-1)!.usage).toMatchObject({ completion_tokens: 3 });
    expect(sseData(ex.chunks)).not.toContain('[DONE]');
    expect(ex).toMatchObject({ complete: true, ending: 'fin' });
  });

  it('no_done leaves out message_stop on the Anthropic route and nothing on Ollama', async () => {
    const s = await serve({ reply: () => 'a b' });
    s.inject({ kind: 'no_done' });
    const body = { max_tokens: 10, messages: hi, stream: true };
    const anthropic = await rawExchange(s.port, '/v1/messages', body, {
      headers: { 'anthropic-version': '2023-06-01' },
    });
    const events = anthropic.chunks.map((c) => c.text).join('');
    expect(events).toContain('"stop_reason":"end_turn"');
    expect(events).not.toContain('message_stop');
    const ollama = await rawExchange(s.port, '/api/chat', { messages: hi });
    expect(ollama.chunks.map((c) => c.text).join('')).toContain('"done":true');
  });

  it('refuse_prefill answers 400 invalid_prefill to a request ending with an assistant turn only', async () => {
    const s = await serve({ reply: () => 'a b' });
    s.inject({ kind: 'refuse_prefill' });
    const prefill = [...hi, { role: 'assistant', content: 'a ' }];
    await expect(create(s, prefill)).rejects.toMatchObject({
      status: 400,
      code: 'invalid_prefill',
    });
    expect(text(await openStream(s))).toBe('a b');
    await expect(create(s, prefill)).rejects.toMatchObject({ status: 400 });
    expect(s.stats).toMatchObject({ requests: 3, ok: 1, faults: { refuse_prefill: 2 } });
  });

  it('a forMs rule lasts that long on the server clock, then the server is healthy', async () => {
    let now = 1_000;
    const s = await serve({ now: () => now });
    s.inject({ kind: 'status', status: 503 }, { forMs: 60_000 });
    expect((await openStream(s)).status).toBe(503);
    now += 59_999;
    expect((await openStream(s)).status).toBe(503);
    now += 1;
    expect((await openStream(s)).status).toBe(200);
    expect(s.stats.faults.status).toBe(2);
  });

  it('rejects out-of-range parameters with a RangeError naming them', async () => {
    const s = await serve();
    expect(() => s.inject({ kind: 'slow_first_token', ms: -1 })).toThrow(/ms/);
    expect(() => s.inject({ kind: 'stream_stall', afterDeltas: 1.5, ms: 1 })).toThrow(
      /afterDeltas/,
    );
    expect(() => s.inject({ kind: 'bad_event', index: 0 })).toThrow(/index/);
    expect(() => s.inject({ kind: 'refuse_prefill', status: 200 })).toThrow(/status/);
    expect(() => s.inject({ kind: 'hang' }, { forMs: 0 })).toThrow(/forMs/);
    expect(() => failoverbench(17)).toThrow(RangeError);
  });
});

const isJson = (data: string): boolean => {
  try {
    JSON.parse(data);
    return true;
  } catch {
    return false;
  }
};

describe('failoverbench cells', () => {
  const whole = async (server: TestServer, messages?: object[]): Promise<RawExchange> => {
    const ex = await openStream(server, messages);
    expect(ex).toMatchObject({ status: 200, complete: true });
    expect(text(ex)).toBe(FAILOVERBENCH_ANSWER);
    return ex;
  };

  it('1: a 429 with Retry-After: 2 once, then the whole answer', async () => {
    const { primary, fallback } = await cellServers(failoverbench(1));
    const first = await openStream(primary);
    expect(first.status).toBe(429);
    expect(first.head).toMatch(/^retry-after: 2$/im);
    await whole(primary);
    expect(fallback.requests).toBe(0);
  });

  it.each([
    [2, 429],
    [4, 503],
    [16, 503],
  ])('%i: a %i on every attempt, without Retry-After', async (n, status) => {
    const { primary } = await cellServers(failoverbench(n));
    for (let i = 0; i < 3; i++) {
      const ex = await openStream(primary);
      expect(ex.status).toBe(status);
      expect(ex.head).not.toMatch(/^retry-after/im);
    }
    expect(primary.stats).toMatchObject({ requests: 3, ok: 0 });
  });

  it('3: a 500 once, then healthy', async () => {
    const { primary } = await cellServers(failoverbench(3));
    expect((await openStream(primary)).status).toBe(500);
    await whole(primary);
  });

  it('5: a TCP reset before any response byte once, then healthy', async () => {
    const { primary } = await cellServers(failoverbench(5));
    expect(await openStream(primary)).toMatchObject({ status: 0, ending: 'reset', chunks: [] });
    await whole(primary);
    expect(primary.requests).toBe(2);
  });

  it('6: the request is read and nothing is ever written', async () => {
    const { primary } = await cellServers(failoverbench(6));
    const ex = await openStream(primary, undefined, 300);
    expect(ex).toMatchObject({ status: 0, head: '', ending: 'open' });
    expect(primary.requests).toBe(1);
  });

  it('7: headers at once, the first token after firstTokenMs, then the whole answer', async () => {
    const { primary } = await cellServers(failoverbench(7, { firstTokenMs: 300 }));
    const ex = await whole(primary);
    expect(JSON.parse(ex.chunks[0]!.text.slice(6)).choices[0].delta.role).toBe('assistant');
    expect(ex.chunks[1]!.at).toBeGreaterThanOrEqual(295);
  });

  it('8: the stream dies after 40 of 60 tokens with a FIN; the fallback continues a prefill', async () => {
    const { primary, fallback } = await cellServers(failoverbench(8));
    const ex = await openStream(primary);
    expect(text(ex)).toBe(firstWords(40));
    expect(finishes(ex)).toEqual([]);
    expect(ex).toMatchObject({ status: 200, complete: false, ending: 'fin' });
    const prefill = [...hi, { role: 'assistant', content: firstWords(40) }];
    const rest = await openStream(fallback, prefill);
    expect(firstWords(40) + text(rest)).toBe(FAILOVERBENCH_ANSWER);
    expect(jsonChunks(rest).at(-2)!.model).toBe(FAILOVERBENCH_MODELS.fallback);
  });

  it('9: after 20 tokens the socket stays open and silent for stallMs, then closes', async () => {
    const { primary } = await cellServers(failoverbench(9, { stallMs: 300 }));
    const ex = await openStream(primary);
    expect(text(ex)).toBe(firstWords(20));
    expect(ex.endAt).toBeGreaterThanOrEqual(295);
    expect(ex).toMatchObject({ complete: false, ending: 'fin' });
  });

  it('10: the tenth SSE event is invalid JSON, the rest complete', async () => {
    const { primary } = await cellServers(failoverbench(10));
    const ex = await whole(primary);
    expect(sseData(ex.chunks).findIndex((data) => !isJson(data))).toBe(9);
  });

  it('11: a complete stream with finish and usage but no [DONE], then a clean end', async () => {
    const { primary } = await cellServers(failoverbench(11));
    const ex = await whole(primary);
    expect(finishes(ex)).toEqual(['stop']);
    expect(jsonChunks(ex).at(-1)!.usage).toMatchObject({ completion_tokens: 60 });
    expect(sseData(ex.chunks)).not.toContain('[DONE]');
  });

  it.each([
    [12, 'context_length_exceeded'],
    [13, 'content_policy_violation'],
  ])('%i: a 400 %s on every attempt', async (n, code) => {
    const { primary } = await cellServers(failoverbench(n));
    for (let i = 0; i < 2; i++) {
      await expect(create(primary)).rejects.toMatchObject({ status: 400, code });
    }
    expect(primary.requests).toBe(2);
  });

  it('14: as 8, and the fallback refuses a prefill with 400 invalid_prefill but answers whole', async () => {
    const { primary, fallback } = await cellServers(failoverbench(14));
    expect(text(await openStream(primary))).toBe(firstWords(40));
    const prefill = [...hi, { role: 'assistant', content: firstWords(40) }];
    await expect(create(fallback, prefill)).rejects.toMatchObject({
      status: 400,
      code: 'invalid_prefill',
    });
    await whole(fallback);
  });

  it('15: a 503 for outageMs on the server clock, then healthy', async () => {
    let now = 0;
    const cell = failoverbench(15);
    const { primary } = await cellServers(cell, () => now);
    expect((await openStream(primary)).status).toBe(503);
    now = cell.timing.outageMs - 1;
    expect((await openStream(primary)).status).toBe(503);
    now = cell.timing.outageMs;
    await whole(primary);
  });

  it('16: the fallback answers with its own model name and usage', async () => {
    const { fallback } = await cellServers(failoverbench(16));
    const chunks = jsonChunks(await whole(fallback));
    expect(chunks[0]!.model).toBe(FAILOVERBENCH_MODELS.fallback);
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 60, total_tokens: 61 });
  });

  it('sends one request per cell bounded at 45 s, cell 6 at 100 s, cell 15 twenty 4 s apart', () => {
    for (let n = 1; n <= 16; n++) {
      const cell = failoverbench(n);
      expect(cell).toMatchObject({
        n,
        requests: n === 15 ? 20 : 1,
        spacingMs: n === 15 ? 4_000 : 0,
        boundMs: n === 6 ? 100_000 : 45_000,
        expect: n === 13 ? 'error' : 'answer',
      });
      expect(cell.fallback.rules).toEqual(n === 14 ? [{ fault: { kind: 'refuse_prefill' } }] : []);
    }
    expect(failoverbench(15).recovery).toEqual({ outageMs: 60_000, withinMs: 30_000 });
    expect(failoverbench(9, { stallMs: 5 }).primary.rules[0]!.fault).toMatchObject({ ms: 5 });
  });
});

describe('scoreFailoverbench', () => {
  const call = (over: Partial<FailoverbenchCall> = {}): FailoverbenchCall => ({
    startMs: 0,
    ms: 100,
    text: FAILOVERBENCH_ANSWER,
    completed: true,
    abandoned: false,
    model: FAILOVERBENCH_MODELS.primary,
    ...over,
  });
  const score = (n: number, calls: FailoverbenchCall[], requests = [1, 0]) =>
    scoreFailoverbench(failoverbench(n), {
      calls,
      primaryRequests: requests[0]!,
      fallbackRequests: requests[1]!,
    });
  const failed = (over: Partial<FailoverbenchCall> = {}) =>
    call({
      completed: false,
      text: '',
      error: { status: 502, code: 'X', message: '502 down' },
      ...over,
    });

  it('passes the whole answer, is safe on a bounded clean error', () => {
    expect(score(3, [call()])).toMatchObject({ score: 'pass' });
    expect(score(4, [failed()])).toEqual({ score: 'safe', reason: '502 X: down' });
  });

  it('fails a truncated answer presented as complete, even when an error came after it', () => {
    expect(score(8, [call({ text: firstWords(40) })])).toMatchObject({
      score: 'fail',
      reason: expect.stringMatching(/40 of 60 tokens presented as complete/),
    });
    expect(score(8, [failed({ text: firstWords(40) })]).score).toBe('safe');
    expect(score(8, [call({ text: FAILOVERBENCH_ANSWER + ' t41' })]).score).toBe('fail');
  });

  it('fails a call past the bound: 45 s, or 100 s in cell 6', () => {
    expect(score(9, [failed({ abandoned: true, ms: 45_000 })]).score).toBe('fail');
    expect(score(9, [call({ ms: 45_001 })]).score).toBe('fail');
    expect(score(6, [failed({ ms: 90_000 })]).score).toBe('safe');
  });

  it('passes cell 13 on an error after one upstream request only, and fails an answer', () => {
    expect(score(13, [failed()], [1, 0]).score).toBe('pass');
    expect(score(13, [failed()], [1, 1]).score).toBe('safe');
    expect(score(13, [call()], [1, 0]).score).toBe('fail');
  });

  it('checks the fallback model and usage in cell 16', () => {
    const usage = { prompt_tokens: 5, completion_tokens: 60, total_tokens: 65 };
    const fallback = { model: FAILOVERBENCH_MODELS.fallback, usage };
    expect(score(16, [call(fallback)]).score).toBe('pass');
    expect(score(16, [call({ ...fallback, model: 'bench' })]).score).toBe('fail');
    expect(score(16, [call({ ...fallback, usage: undefined })]).score).toBe('fail');
  });

  it('checks that cell 15 is back on the primary within 30 s of the recovery', () => {
    const served = (backAtMs: number) =>
      Array.from({ length: 20 }, (_, i) =>
        call({
          startMs: i * 4_000,
          model:
            i * 4_000 < backAtMs ? FAILOVERBENCH_MODELS.fallback : FAILOVERBENCH_MODELS.primary,
        }),
      );
    expect(score(15, served(64_000)).score).toBe('pass');
    expect(score(15, served(100_000))).toMatchObject({ score: 'fail' });
    const errors = served(64_000).map((c, i) => (i < 3 ? failed({ startMs: c.startMs }) : c));
    expect(score(15, errors)).toMatchObject({ score: 'safe', reason: /^3 of 20 calls/ });
  });
});

describe('scripts/failoverbench.ts', () => {
  it('scores cells through the gateway with the openai client and prints JSON', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/failoverbench.ts', '--no-group', '--cells', '3-4,13', '--json'],
      { timeout: 60_000 },
    );
    const run = JSON.parse(stdout);
    expect(run.totals).toEqual({ pass: 2, safe: 1, fail: 0 });
    expect(run.cells.map((c: { n: number; score: string }) => [c.n, c.score])).toEqual([
      [3, 'pass'],
      [4, 'safe'],
      [13, 'pass'],
    ]);
    expect(run.cells[0]).toMatchObject({ primaryRequests: 2, fallbackRequests: 0 });
    expect(run.cells[0].calls[0]).toMatchObject({ text: FAILOVERBENCH_ANSWER, completed: true });
    expect(run.cells[2].calls[0].error).toMatchObject({
      status: 400,
      code: 'content_policy_violation',
    });
  }, 90_000);
});
