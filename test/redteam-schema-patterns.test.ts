/**
 * Structured output checks the model's JSON against the caller's schema, so a caller's
 * `pattern` meets text the model wrote: a backtracking pattern (`^(a+)+$`) against 28 `a` and
 * a `!` held the event loop for seconds with JavaScript's RegExp (a minute at 31). Patterns run
 * on RE2 (linear in the text); one RE2 cannot run (lookaround, backreference) is refused before
 * any call. A recursive schema against an answer nested 50 000 deep overflowed the stack and
 * crashed the client's actor: it is a BAD_RESPONSE.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../src/index.js';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { openaiAnswer, rawUpstream, type RawUpstream } from './support/raw-upstream.js';
import { runtimePerTest } from './support/runtime.js';

let raw: RawUpstream | undefined;
const runtimes = runtimePerTest(async () => {
  await raw?.close();
  raw = undefined;
});

async function answering(text: string): Promise<Runtime> {
  raw = await rawUpstream((res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(openaiAnswer(text));
  });
  return runtimes.start({
    clients: { c: { provider: 'openai', baseUrl: raw.url, model: 'm', retry: false } },
  });
}

const stringAt = (pattern: string) => ({
  type: 'object',
  properties: { x: { type: 'string', pattern } },
});

describe('a JSON Schema pattern checked against the answer', () => {
  it('never backtracks: a catastrophic pattern against a long answer fails at once', async () => {
    const rt = await answering(JSON.stringify({ x: 'a'.repeat(28) + '!' }));
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const error = await failure(
      rt.request('c', hi, { responseFormat: { type: 'json', schema: stringAt('^(a+)+$') } }),
    );
    // The histogram records a blocked turn on its next tick.
    await new Promise((resolve) => setTimeout(resolve, 30));
    delay.disable();
    // RegExp held the loop 10 s here; RE2 takes well under a millisecond (the bound is slack
    // for a loaded machine).
    expect(delay.max / 1e6).toBeLessThan(1_000);
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('at /x: must match pattern "^(a+)+$"');
  });

  it('still holds the answer to the pattern, as JavaScript reads it', async () => {
    const rt = await answering(JSON.stringify({ x: '555-1234', éé: 1 }));
    const schema = {
      ...stringAt('^\\d{3}-\\d{4}$'),
      patternProperties: { '^\\p{L}{2}$': { type: 'number' } },
    };
    const answer = await rt.request('c', hi, { responseFormat: { type: 'json', schema } });
    expect(answer.json).toEqual({ x: '555-1234', éé: 1 });
  });

  it('refuses a pattern with a lookahead before calling the provider', async () => {
    const rt = await answering('{}');
    const error = await failure(
      rt.request('c', hi, { responseFormat: { type: 'json', schema: stringAt('^(?=a)a$') } }),
    );
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('not a valid JSON Schema');
    expect(error.message).toContain('(?=');
    expect(raw!.calls).toBe(0);
  });
});

describe("a pattern in a tool's parameters (never checked against)", () => {
  const tool = (pattern: string) => ({ name: 'f', parameters: stringAt(pattern) });

  it('may use a lookahead: the call goes out', async () => {
    const rt = await answering('sent');
    const answer = await rt.request('c', hi, { tools: [tool('^(?=a)a$')] });
    expect(answer.text).toBe('sent');
  });

  it('must still be a valid regular expression', async () => {
    const rt = await answering('sent');
    const error = await failure(rt.request('c', hi, { tools: [tool('(')] }));
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('tools[0].parameters: not a valid JSON Schema');
    expect(raw!.calls).toBe(0);
  });
});

describe('a recursive schema checked against a deep answer', () => {
  it('is a BAD_RESPONSE, and the client is not restarted', async () => {
    const rt = await answering('['.repeat(50_000) + ']'.repeat(50_000));
    const schema = { type: 'array', items: { $ref: '#' } };
    const error = await failure(rt.request('c', hi, { responseFormat: { type: 'json', schema } }));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('does not match the schema: could not be checked');
    expect(rt.health('c')).toMatchObject({ status: 'running', restarts: 0 });
  });
});
