/**
 * Scripted answers (tool calls, reasoning, JSON, usage extras) read back with the official SDKs,
 * plain and streamed, in the three wire formats: the SDKs prove the wire shapes.
 */
import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { ScriptedAnswer } from '../src/testing/index.js';
import { serverPerTest } from './support/test-server.js';

const { start } = serverPerTest();

const WEATHER = {
  type: 'function' as const,
  function: {
    name: 'weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
};

const CALL: ScriptedAnswer = {
  reasoning: 'The user wants the weather, so I call the tool.',
  reasoningSignature: 'c2lnbmVk',
  toolCalls: [
    { id: 'call_a', name: 'weather', arguments: { city: 'Zürich, the largest city' } },
    { name: 'weather', arguments: '{"city":"Paris"}' },
  ],
  usage: { cachedPromptTokens: 2, reasoningTokens: 7 },
};

const openai = (url: string) => new OpenAI({ apiKey: 'k', baseURL: url, maxRetries: 0 });
const anthropic = (origin: string) =>
  new Anthropic({ apiKey: 'k', baseURL: origin, maxRetries: 0 });

describe('scripted answers over the OpenAI wire format', () => {
  it('sends tool calls, reasoning_content and usage details, and records the tools', async () => {
    const s = await start({ script: () => CALL });
    const res = await openai(s.url).chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'weather in two cities' }],
      tools: [WEATHER],
      tool_choice: 'required',
    });
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([
      {
        id: 'call_a',
        type: 'function',
        function: { name: 'weather', arguments: '{"city":"Zürich, the largest city"}' },
      },
      {
        id: 'call_1_1',
        type: 'function',
        function: { name: 'weather', arguments: '{"city":"Paris"}' },
      },
    ]);
    expect((choice.message as unknown as Record<string, unknown>).reasoning_content).toBe(
      CALL.reasoning,
    );
    expect(res.usage?.prompt_tokens_details?.cached_tokens).toBe(2);
    expect(res.usage?.completion_tokens_details?.reasoning_tokens).toBe(7);
    const req = s.lastRequest()!;
    expect(req.tools).toEqual([
      {
        name: 'weather',
        description: 'The weather in a city',
        parameters: WEATHER.function.parameters,
      },
    ]);
    expect(req.toolChoice).toBe('required');
  });

  it('streams tool-call fragments the stream helper assembles, and records tool results', async () => {
    const s = await start({ chunkWords: 2 });
    s.enqueue(CALL, { json: { city: 'Zürich', temperature: 21 } });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'weather?' }];
    const stream = openai(s.url).chat.completions.stream({
      model: 'm',
      messages,
      tools: [WEATHER],
    });
    const fragments: Array<{ index: number; id?: string; name?: string }> = [];
    stream.on('chunk', (chunk) => {
      for (const t of chunk.choices[0]?.delta.tool_calls ?? []) {
        fragments.push({ index: t.index, id: t.id, name: t.function?.name });
      }
    });
    const done = await stream.finalChatCompletion();
    const message = done.choices[0]!.message;
    expect(done.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.tool_calls?.map((t) => t.type === 'function' && t.function)).toEqual([
      { name: 'weather', arguments: '{"city":"Zürich, the largest city"}' },
      { name: 'weather', arguments: '{"city":"Paris"}' },
    ]);
    // The first fragment of each call carries its id and name; the others only its index.
    expect(fragments.filter((f) => f.id !== undefined)).toEqual([
      { index: 0, id: 'call_a', name: 'weather' },
      { index: 1, id: 'call_1_1', name: 'weather' },
    ]);
    expect(fragments.length).toBeGreaterThan(4);

    const next = await openai(s.url).chat.completions.create({
      model: 'm',
      messages: [
        ...messages,
        message as OpenAI.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: 'call_a', content: '21 degrees' },
      ],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(next.choices[0]!.message.content!)).toEqual({
      city: 'Zürich',
      temperature: 21,
    });
    const req = s.lastRequest()!;
    expect(req.responseFormat).toEqual({ type: 'json_object' });
    expect(req.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'call_a', name: 'weather', arguments: '{"city":"Zürich, the largest city"}' },
          { id: 'call_1_1', name: 'weather', arguments: '{"city":"Paris"}' },
        ],
      },
      { role: 'tool', content: '21 degrees', toolCallId: 'call_a' },
    ]);
  });

  it('keeps faults on top: a stream cut mid tool call, then a 429 that leaves the answer queued', async () => {
    const s = await start({ splitBytes: 3 });
    s.enqueue(CALL, { text: 'after the retry' });
    s.inject({ kind: 'stream_cut', afterDeltas: 12 }, { times: 1 });
    const stream = openai(s.url).chat.completions.stream({ model: 'm', messages: [] });
    await expect(stream.finalChatCompletion()).rejects.toThrow();
    s.inject({ kind: 'status', status: 429, retryAfterMs: 1 }, { times: 1 });
    const sdk = new OpenAI({ apiKey: 'k', baseURL: s.url, maxRetries: 1 });
    const res = await sdk.chat.completions.create({ model: 'm', messages: [] });
    expect(res.choices[0]!.message.content).toBe('after the retry');
    expect(s.stats.faults).toMatchObject({ stream_cut: 1, status: 1 });
  });
});

describe('scripted answers over the Anthropic wire format', () => {
  const THINK: ScriptedAnswer = {
    ...CALL,
    text: 'Let me look.',
    redactedReasoning: 'b3BhcXVl',
    usage: { promptTokens: 20, cachedPromptTokens: 5, cacheWriteTokens: 3 },
  };

  it('answers with thinking, redacted_thinking, text and tool_use blocks', async () => {
    const s = await start({ script: () => THINK });
    const res = await anthropic(s.origin).messages.create({
      model: 'm',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ name: 'weather', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any' },
    });
    expect(res.stop_reason).toBe('tool_use');
    expect(res.content).toEqual([
      { type: 'redacted_thinking', data: 'b3BhcXVl' },
      { type: 'thinking', thinking: CALL.reasoning, signature: 'c2lnbmVk' },
      { type: 'text', text: 'Let me look.' },
      {
        type: 'tool_use',
        id: 'call_a',
        name: 'weather',
        input: { city: 'Zürich, the largest city' },
      },
      { type: 'tool_use', id: 'toolu_1_1', name: 'weather', input: { city: 'Paris' } },
    ]);
    expect(res.usage).toMatchObject({
      input_tokens: 12,
      cache_read_input_tokens: 5,
      cache_creation_input_tokens: 3,
    });
    expect(s.lastRequest()!.tools).toEqual([{ name: 'weather', parameters: { type: 'object' } }]);
    expect(s.lastRequest()!.toolChoice).toEqual({ type: 'any' });
  });

  it('streams thinking, signature and input_json deltas the SDK assembles', async () => {
    const s = await start({
      script: (req) => (req.messages.at(-1)!.role === 'tool' ? { text: 'Sunny.' } : THINK),
    });
    const sdk = anthropic(s.origin);
    const types: string[] = [];
    const stream = sdk.messages.stream({
      model: 'm',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'weather?' }],
    });
    stream.on('streamEvent', (e) => {
      if (e.type === 'content_block_delta') types.push(e.delta.type);
    });
    const message = await stream.finalMessage();
    expect(message.content).toEqual([
      { type: 'redacted_thinking', data: 'b3BhcXVl' },
      { type: 'thinking', thinking: CALL.reasoning, signature: 'c2lnbmVk' },
      { type: 'text', text: 'Let me look.' },
      {
        type: 'tool_use',
        id: 'call_a',
        name: 'weather',
        input: { city: 'Zürich, the largest city' },
      },
      { type: 'tool_use', id: 'toolu_1_1', name: 'weather', input: { city: 'Paris' } },
    ]);
    expect(new Set(types)).toEqual(
      new Set(['thinking_delta', 'signature_delta', 'text_delta', 'input_json_delta']),
    );
    // The tool loop: the assistant turn goes back whole, then the tool results.
    const next = await sdk.messages.create({
      model: 'm',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: message.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_a', content: 'sunny' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_1_1',
              content: [{ type: 'text', text: 'rain' }],
            },
          ],
        },
      ],
    });
    expect(next.content).toEqual([{ type: 'text', text: 'Sunny.' }]);
    expect(s.lastRequest()!.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: 'Let me look.',
        toolCalls: [
          { id: 'call_a', name: 'weather', arguments: '{"city":"Zürich, the largest city"}' },
          { id: 'toolu_1_1', name: 'weather', arguments: '{"city":"Paris"}' },
        ],
      },
      { role: 'tool', content: 'sunny', toolCallId: 'call_a' },
      { role: 'tool', content: 'rain', toolCallId: 'toolu_1_1' },
    ]);
  });
});

describe('scripted answers over the Ollama wire format', () => {
  it('answers with object tool arguments and thinking, plain and streamed', async () => {
    const s = await start({ script: () => ({ ...CALL, text: 'checking' }) });
    const sdk = new Ollama({ host: s.origin });
    const res = await sdk.chat({
      model: 'm',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [WEATHER],
      format: 'json',
    });
    expect(res.message.thinking).toBe(CALL.reasoning);
    expect(res.message.content).toBe('checking');
    expect(res.message.tool_calls).toEqual([
      { function: { name: 'weather', arguments: { city: 'Zürich, the largest city' } } },
      { function: { name: 'weather', arguments: { city: 'Paris' } } },
    ]);
    expect(res.done_reason).toBe('stop');
    expect(s.lastRequest()!.responseFormat).toBe('json');
    expect(s.lastRequest()!.tools?.[0]?.name).toBe('weather');

    let thinking = '';
    let content = '';
    const calls: unknown[] = [];
    for await (const part of await sdk.chat({ model: 'm', messages: [], stream: true })) {
      thinking += part.message.thinking ?? '';
      content += part.message.content;
      calls.push(...(part.message.tool_calls ?? []));
    }
    expect({ thinking, content, calls }).toEqual({
      thinking: CALL.reasoning,
      content: 'checking',
      calls: res.message.tool_calls,
    });
  });
});

describe('scripted answers, edge cases', () => {
  it('carries usage details on the include_usage chunk and answers 500 on bad arguments', async () => {
    const s = await start();
    s.enqueue(
      { text: 'thought it through', reasoning: 'hmm', usage: { cachedPromptTokens: 1 } },
      { toolCalls: [{ name: 'weather', arguments: '[1]' }] },
    );
    const sdk = openai(s.url);
    const stream = await sdk.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'a b c' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    expect(usage).toEqual({
      prompt_tokens: 3,
      completion_tokens: 4,
      total_tokens: 7,
      prompt_tokens_details: { cached_tokens: 1 },
      completion_tokens_details: { reasoning_tokens: 1 },
    });
    await expect(sdk.chat.completions.create({ model: 'm', messages: [] })).rejects.toMatchObject({
      status: 500,
      message: expect.stringContaining('arguments must be a JSON object'),
    });
  });
});
