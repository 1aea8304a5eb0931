/**
 * Native function calling through the Ax adapter: AxGen programs whose functions Ax runs
 * between two calls of the model, plain and streamed, against the testing server; an AxAgent
 * whose code calls a function; images and thoughts in both directions.
 */
import { agent, ax, type AxChatResponse, type AxFunction } from '@ax-llm/ax';
import { describe, expect, it } from 'vitest';
import { createAxService } from '../src/adapters/ax/index.js';
import type { ClientConfig, Runtime } from '../src/index.js';
import { startTestServer, type ScriptedAnswer, type TestServer } from '../src/testing/index.js';
import { runtimePerTest } from './support/runtime.js';

let server: TestServer;

const runtimes = runtimePerTest(() => server.close());

type Format = 'openai' | 'anthropic';

async function start(format: Format = 'openai', script?: ScriptedAnswer): Promise<Runtime> {
  server = await startTestServer();
  server.setScript((req) =>
    req.messages.at(-1)?.role === 'tool'
      ? { text: `Answer: It is ${req.messages.at(-1)!.content} in Oslo.` }
      : {
          toolCalls: [{ id: 'call_w', name: 'getWeather', arguments: { city: 'Oslo' } }],
          ...script,
        },
  );
  const config: ClientConfig =
    format === 'openai'
      ? { provider: 'openai', baseUrl: server.url, model: 'test-model' }
      : { provider: 'anthropic', baseUrl: server.origin, model: 'test-model', apiKey: 'k' };
  return runtimes.start({ clients: { m: { ...config, retry: false } } });
}

const cities: string[] = [];

const getWeather: AxFunction = {
  name: 'getWeather',
  description: 'The weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string', description: 'The city' } },
    required: ['city'],
  },
  func: ({ city }: { city: string }) => {
    cities.push(city);
    return Promise.resolve('sunny');
  },
};

const forecaster = () => ax('question:string -> answer:string', { functions: [getWeather] });

describe.each<Format>(['openai', 'anthropic'])('an AxGen function over %s', (format) => {
  it.each([false, true])(
    'calls the function and answers from its result (streamed: %s)',
    async (stream) => {
      const rt = await start(format);
      cities.length = 0;
      const out = await forecaster().forward(
        createAxService(rt, 'm'),
        { question: 'Weather in Oslo?' },
        { stream },
      );
      expect(out.answer).toBe('It is sunny in Oslo.');
      expect(cities).toEqual(['Oslo']);
      expect(server.requests).toBe(2);
      const second = server.lastRequest()!;
      expect(second.tools?.map((t) => t.name)).toEqual(['getWeather']);
      expect(second.messages.slice(-2)).toEqual([
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_w', name: 'getWeather', arguments: '{"city":"Oslo"}' }],
        },
        { role: 'tool', toolCallId: 'call_w', content: 'sunny' },
      ]);
    },
  );
});

describe('function calls without an id', () => {
  it('answer the call under an id made from the prompt, the same plain and streamed', async () => {
    const rt = await start('openai', {
      toolCalls: [{ id: '', name: 'getWeather', arguments: { city: 'Oslo' } }],
    });
    const llm = createAxService(rt, 'm', { cache: false });
    const ids: string[] = [];
    for (const stream of [false, true]) {
      const out = await forecaster().forward(llm, { question: 'Weather in Oslo?' }, { stream });
      expect(out.answer).toBe('It is sunny in Oslo.');
      const [call, result] = server.lastRequest()!.messages.slice(-2);
      expect(result!.toolCallId).toBe(call!.toolCalls?.[0]?.id);
      ids.push(result!.toolCallId!);
    }
    expect(ids[0]).toMatch(/^call_[0-9a-f]{16}_0$/);
    expect(ids[1]).toBe(ids[0]);
  });
});

describe('function calls through chat()', () => {
  it('answers with function calls, and streams them as fragments Ax merges by id', async () => {
    const rt = await start();
    const llm = createAxService(rt, 'm');
    const req = {
      chatPrompt: [{ role: 'user' as const, content: 'Weather?' }],
      functions: [getWeather],
      functionCall: { type: 'function' as const, function: { name: 'getWeather' } },
    };
    const plain = (await llm.chat(req)) as AxChatResponse;
    expect(plain.results[0]).toMatchObject({
      finishReason: 'function_call',
      functionCalls: [
        {
          id: 'call_w',
          type: 'function',
          function: { name: 'getWeather', params: '{"city":"Oslo"}' },
        },
      ],
    });
    expect(server.lastRequest()!.toolChoice).toEqual({
      type: 'function',
      function: { name: 'getWeather' },
    });
    // Uncached, or the cache would replay the call above as one fragment.
    const uncached = createAxService(rt, 'm', { cache: false });
    const streamed = (await uncached.chat(req, { stream: true })) as ReadableStream<AxChatResponse>;
    const fragments: Array<{ id: string; name: string; params: unknown }> = [];
    for await (const chunk of streamed) {
      for (const call of chunk.results[0]?.functionCalls ?? []) {
        fragments.push({ id: call.id, name: call.function.name, params: call.function.params });
      }
    }
    expect(fragments.length).toBeGreaterThan(1);
    expect(fragments.every((f) => f.id === 'call_w')).toBe(true);
    expect(fragments.map((f) => f.name).join('')).toBe('getWeather');
    expect(JSON.parse(fragments.map((f) => f.params).join(''))).toEqual({ city: 'Oslo' });
  });

  it('sends a user image as a data URL and returns thoughts with their signed blocks', async () => {
    const rt = await start('anthropic', { reasoning: 'Look it up.', reasoningSignature: 'c2ln' });
    const llm = createAxService(rt, 'm');
    const res = (await llm.chat({
      chatPrompt: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here?' },
            { type: 'image', mimeType: 'image/png', image: 'iVBORw0=' },
          ],
        },
      ],
    })) as AxChatResponse;
    expect(server.lastRequest()!.body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather here?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0=' } },
        ],
      },
    ]);
    expect(res.results[0]).toMatchObject({
      thought: 'Look it up.',
      thoughtBlocks: [{ data: 'Look it up.', encrypted: false, signature: 'c2ln' }],
    });
    await llm.chat({
      chatPrompt: [
        { role: 'user', content: 'Weather here?' },
        {
          role: 'assistant',
          functionCalls: res.results[0]!.functionCalls,
          thoughtBlocks: res.results[0]!.thoughtBlocks,
        },
        { role: 'function', functionId: 'call_w', result: 'sunny' },
      ],
    });
    expect((server.lastRequest()!.body.messages as unknown[])[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'Look it up.', signature: 'c2ln' },
        { type: 'tool_use', id: 'call_w', name: 'getWeather', input: { city: 'Oslo' } },
      ],
    });
  });
});

describe('an AxAgent', () => {
  it('runs its stages through the client, and its code calls the function', async () => {
    server = await startTestServer();
    // Each stage's model writes JavaScript that Ax runs; the responder writes the answer.
    const formats: unknown[] = [];
    server.setScript((req) => {
      formats.push((req.responseFormat as { type?: unknown } | undefined)?.type);
      const system = req.messages[0]?.content ?? '';
      if (system.includes('## Distiller')) {
        return { json: { javascriptCode: 'await final("Get the weather", { city: "Oslo" })' } };
      }
      if (system.includes('## Executor')) {
        return {
          json: {
            javascriptCode:
              'const w = await utils.getWeather({ city: "Oslo" }); await final("Tell it", { w })',
          },
        };
      }
      return { text: 'Answer: It is sunny in Oslo.' };
    });
    const rt = await runtimes.start({
      clients: {
        m: { provider: 'openai', baseUrl: server.url, model: 'test-model', retry: false },
      },
    });
    cities.length = 0;
    const llm = createAxService(rt, 'm');
    // AxAgent's constructor reads its options unguarded: `agent()` (or `new AxAgent(init, {})`).
    const forecaster = agent('question:string -> answer:string', {
      ai: llm,
      functions: [getWeather],
    });
    const out = await forecaster.forward(llm, { question: 'Weather in Oslo?' });
    expect(out.answer).toBe('It is sunny in Oslo.');
    expect(cities).toEqual(['Oslo']);
    expect(server.requests).toBe(3);
    // The actor stages ask for their code as JSON with a schema, the responder for text.
    expect(formats).toEqual(['json_schema', 'json_schema', undefined]);
  });
});
