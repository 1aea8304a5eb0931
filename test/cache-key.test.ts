import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { cacheKey, canonicalJson, type KeyParts } from '../src/cache/key.js';
import type { DriverRequest } from '../src/index.js';
import { runtimePerTest } from './support/runtime.js';

const base: KeyParts = {
  provider: 'openai',
  baseUrl: 'https://api.openai.com/v1',
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
  ],
  params: { temperature: 0, maxTokens: 64, extra: { top_p: 1, stop: ['\n'] } },
  rolloutId: undefined,
};

describe('canonicalJson', () => {
  it('gives the same text whatever the key order, at every depth', () => {
    const a = { b: 1, a: { d: [1, { y: 2, x: 1 }], c: 'z' }, c: null };
    const b = { c: null, a: { c: 'z', d: [1, { x: 1, y: 2 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"c":"z","d":[1,{"x":1,"y":2}]},"b":1,"c":null}');
  });

  it('leaves out undefined and function members as JSON.stringify does', () => {
    const value = { a: 1, b: undefined, c: () => 1, d: { e: undefined, f: 2 } };
    expect(canonicalJson(value)).toBe('{"a":1,"d":{"f":2}}');
    expect(canonicalJson(value)).toBe(JSON.stringify({ a: 1, d: { f: 2 } }));
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('writes undefined and function array items as null, as JSON.stringify does', () => {
    const value = [1, undefined, () => 1, 'x'];
    expect(canonicalJson(value)).toBe('[1,null,null,"x"]');
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
  });

  it('keeps array order (arrays are not sorted)', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson([{ b: 1, a: 2 }])).toBe('[{"a":2,"b":1}]');
  });

  it('matches JSON.stringify for scalars, strings with quotes and non-finite numbers', () => {
    for (const v of [0, -1.5, 'he said "hi"\n', true, false, null, NaN, Infinity, 'ünï😀']) {
      expect(canonicalJson(v)).toBe(JSON.stringify(v));
    }
  });

  it('matches JSON.stringify of the sorted value for a deeply nested object', () => {
    const nested = { z: { y: { x: { w: [{ v: 1, u: [{ t: 's', r: undefined }] }] } } }, a: 0 };
    expect(canonicalJson(nested)).toBe('{"a":0,"z":{"y":{"x":{"w":[{"u":[{"t":"s"}],"v":1}]}}}}');
    expect(JSON.parse(canonicalJson(nested))).toEqual(JSON.parse(JSON.stringify(nested)));
  });

  it('serializes values with toJSON (a Date) as JSON.stringify does, so they are told apart', () => {
    const a = { since: new Date('2024-01-01T00:00:00Z') };
    const b = { since: new Date('2025-01-01T00:00:00Z') };
    expect(canonicalJson(a)).toBe(JSON.stringify(a));
    expect(canonicalJson(a)).not.toBe(canonicalJson(b));
    expect(canonicalJson([a.since])).toBe(JSON.stringify([a.since]));
    expect(canonicalJson({ at: { toJSON: () => undefined }, b: 1 })).toBe('{"b":1}');
  });

  it('leaves out symbol members and writes symbol array items as null, as JSON.stringify does', () => {
    const value = { a: Symbol('x'), b: [Symbol('y')], c: 1 };
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
    expect(canonicalJson(value)).toBe('{"b":[null],"c":1}');
  });
});

describe('cacheKey', () => {
  it('is 64 lowercase hex characters (a sha256)', () => {
    expect(cacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same key for the same parts, whatever their key order', () => {
    const reordered: KeyParts = {
      rolloutId: undefined,
      params: { extra: { stop: ['\n'], top_p: 1 }, maxTokens: 64, temperature: 0 },
      messages: [
        { content: 'Be brief.', role: 'system' },
        { content: 'Hi', role: 'user' },
      ],
      model: 'gpt-4o-mini',
      baseUrl: 'https://api.openai.com/v1',
      provider: 'openai',
    };
    expect(cacheKey(reordered)).toBe(cacheKey(base));
    expect(cacheKey(structuredClone(base))).toBe(cacheKey(base));
  });

  it('changes with every part that determines the answer', () => {
    const variants: KeyParts[] = [
      { ...base, provider: 'ollama' },
      { ...base, baseUrl: 'https://example.test/v1' },
      { ...base, model: 'gpt-4o' },
      { ...base, messages: [...base.messages, { role: 'user', content: 'More' }] },
      { ...base, messages: [base.messages[1]!, base.messages[0]!] },
      { ...base, messages: [base.messages[0]!, { role: 'user', content: 'Hi!' }] },
      { ...base, messages: [base.messages[0]!, { role: 'assistant', content: 'Hi' }] },
      { ...base, messages: [base.messages[0]!, { role: 'user', content: 'Hi', name: 'bob' }] },
      { ...base, params: { ...base.params, temperature: 0.7 } },
      { ...base, params: { ...base.params, temperature: undefined } },
      { ...base, params: { ...base.params, maxTokens: 65 } },
      { ...base, params: { ...base.params, stop: ['\n'] } },
      { ...base, params: { ...base.params, seed: 1 } },
      { ...base, params: { ...base.params, extra: { top_p: 0.9, stop: ['\n'] } } },
      { ...base, params: { ...base.params, extra: { top_p: 1, stop: ['\n'], seed: 1 } } },
      { ...base, params: { ...base.params, extra: undefined } },
      { ...base, rolloutId: 1 },
      { ...base, rolloutId: '1' },
      { ...base, rolloutId: 'a' },
    ];
    const keys = new Set([cacheKey(base), ...variants.map(cacheKey)]);
    expect(keys.size).toBe(variants.length + 1);
  });

  it('has no apiKey or headers among its parts, by construction', () => {
    expectTypeOf<KeyParts>().not.toHaveProperty('apiKey');
    expectTypeOf<KeyParts>().not.toHaveProperty('headers');
    // @ts-expect-error an apiKey is not a key part
    const withKey: KeyParts = { ...base, apiKey: 'sk-secret' };
    expect(withKey).toBeDefined();
  });
});

describe('cache keys across runtimes that differ only by apiKey', () => {
  let dir: string;
  const { start } = runtimePerTest(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llma-'));
  });

  function driver(apiKey: string) {
    const request = vi.fn(async (req: DriverRequest) => ({
      text: `answer to ${req.messages[0]!.content}`,
    }));
    return {
      request,
      config: {
        provider: 'driver' as const,
        model: 'm',
        apiKey,
        request,
        output: (raw: { text: string }) => ({ text: raw.text }),
      },
    };
  }

  it('share cached answers within a client name, never across clients, and never store the key', async () => {
    const path = join(dir, 'cache.sqlite');
    const messages = [{ role: 'user' as const, content: 'Hi' }];

    const first = driver('sk-first-secret-0001');
    const one = await start({ clients: { a: first.config }, cache: { store: 'sqlite', path } });
    expect((await one.request('a', messages)).cacheHit).toBe(false);
    await one.stop();

    const second = driver('sk-second-secret-0002');
    const other = driver('sk-second-secret-0002');
    const two = await start({
      clients: { a: second.config, b: other.config },
      cache: { store: 'sqlite', path },
    });
    const again = await two.request('a', messages);
    expect(again.cacheHit).toBe(true);
    expect(again.text).toBe('answer to Hi');
    expect(second.request).not.toHaveBeenCalled();

    const b = await two.request('b', messages);
    expect(b.cacheHit).toBe(false);
    expect(other.request).toHaveBeenCalledTimes(1);
    await two.stop();

    for (const file of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, file)).toString('latin1');
      expect(bytes).not.toContain('sk-first-secret-0001');
      expect(bytes).not.toContain('sk-second-secret-0002');
    }
  });
});

describe('the hand-written key', () => {
  it('keeps the key of a plain-text request as it was before the chat options', () => {
    const parts: KeyParts = {
      provider: 'openai',
      baseUrl: 'http://x',
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi', name: 'ann' },
      ],
      params: { temperature: 0.5, maxTokens: 9 },
      rolloutId: 1,
    };
    const before =
      '{"baseUrl":"http://x","messages":[{"content":"be brief","role":"system"},' +
      '{"content":"hi","name":"ann","role":"user"}],"model":"m",' +
      '"params":{"maxTokens":9,"temperature":0.5},"provider":"openai","rolloutId":1}';
    expect(cacheKey(parts)).toBe(createHash('sha256').update(before).digest('hex'));
  });

  it('differs when the tools differ, and when a message carries tool calls', () => {
    const base: KeyParts = {
      provider: 'openai',
      baseUrl: 'http://x',
      model: 'm',
      messages: [{ role: 'user', content: 'weather?' }],
      params: {},
      rolloutId: undefined,
    };
    const tool = { name: 'weather', parameters: { type: 'object' } };
    const a = cacheKey({ ...base, params: { tools: [tool] } });
    const b = cacheKey({ ...base, params: { tools: [{ ...tool, description: 'today' }] } });
    expect(new Set([cacheKey(base), a, b]).size).toBe(3);
    const call = { id: 'c1', name: 'weather', arguments: '{}' };
    const withCall = cacheKey({
      ...base,
      messages: [...base.messages, { role: 'assistant', content: null, toolCalls: [call] }],
    });
    const withoutCall = cacheKey({
      ...base,
      messages: [...base.messages, { role: 'assistant', content: null }],
    });
    expect(withCall).not.toBe(withoutCall);
  });

  it('equals sha256 of the canonical JSON of its parts, for any request', () => {
    const text = fc.record({ type: fc.constant('text'), text: fc.string() });
    const plain = fc.record(
      {
        role: fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool'),
        content: fc.string({ unit: 'binary' }),
        name: fc.string(),
      },
      { requiredKeys: ['role', 'content'] },
    );
    const user = fc.record(
      {
        role: fc.constant('user'),
        content: fc.array(
          fc.oneof(text, fc.record({ type: fc.constant('image'), url: fc.webUrl() })),
        ),
        name: fc.string(),
      },
      { requiredKeys: ['role', 'content'] },
    );
    const call = fc.record({ id: fc.string(), name: fc.string(), arguments: fc.string() });
    const assistant = fc.record(
      {
        role: fc.constant('assistant'),
        content: fc.oneof(fc.constant(null), fc.string(), fc.array(text)),
        toolCalls: fc.array(call, { maxLength: 3 }),
        reasoning: fc.array(
          fc.oneof(
            fc.record(
              { type: fc.constant('reasoning'), text: fc.string(), signature: fc.string() },
              { requiredKeys: ['type', 'text'] },
            ),
            fc.record({ type: fc.constant('redacted-reasoning'), data: fc.string() }),
          ),
        ),
      },
      { requiredKeys: ['role', 'content'] },
    );
    const tool = fc.record({
      role: fc.constant('tool'),
      toolCallId: fc.string(),
      content: fc.oneof(fc.string(), fc.array(text)),
    });
    const message = fc.oneof(plain, user, assistant, tool);
    const tools = fc.array(
      fc.record(
        {
          name: fc.string(),
          description: fc.string(),
          parameters: fc.dictionary(fc.string(), fc.jsonValue()),
          strict: fc.boolean(),
        },
        { requiredKeys: ['name', 'parameters'] },
      ),
      { maxLength: 3 },
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            provider: fc.string(),
            baseUrl: fc.string(),
            model: fc.string(),
            messages: fc.array(message, { minLength: 1, maxLength: 4 }),
            params: fc.record(
              {
                temperature: fc.double({ min: 0, max: 2, noNaN: true }),
                maxTokens: fc.nat(),
                stop: fc.array(fc.string(), { minLength: 1, maxLength: 4 }),
                seed: fc.integer(),
                extra: fc.dictionary(fc.string(), fc.jsonValue()),
                tools,
                toolChoice: fc.oneof(
                  fc.constantFrom('auto', 'none', 'required'),
                  fc.record({ name: fc.string() }),
                ),
                parallelToolCalls: fc.boolean(),
                responseFormat: fc.record(
                  {
                    type: fc.constant('json'),
                    schema: fc.dictionary(fc.string(), fc.jsonValue()),
                    name: fc.string(),
                    strict: fc.boolean(),
                  },
                  { requiredKeys: ['type'] },
                ),
                reasoning: fc.record(
                  { effort: fc.constantFrom('low', 'medium', 'high'), budgetTokens: fc.nat() },
                  { requiredKeys: [] },
                ),
                logprobs: fc.oneof(fc.boolean(), fc.nat(20)),
              },
              { requiredKeys: [] },
            ),
            rolloutId: fc.option(fc.oneof(fc.string(), fc.integer()), { nil: undefined }),
          },
          { requiredKeys: ['provider', 'baseUrl', 'model', 'messages', 'params'] },
        ),
        (parts) => {
          const full = { rolloutId: undefined, ...parts } as KeyParts;
          const expected = createHash('sha256').update(canonicalJson(full)).digest('hex');
          expect(cacheKey(full)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
