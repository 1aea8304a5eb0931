/**
 * The Vercel AI SDK (ai 6) through the gateway as a user would drive it: `createOpenAI`'s default
 * provider (the Responses API), its `.chat` provider (chat completions) and
 * `createOpenAICompatible` — plain and streamed text, a multi-step tool loop, a zod-typed object,
 * reasoning-model names for which the provider sends the `developer` role by itself, and the
 * default provider's `item_reference`s to earlier output across turns.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import {
  generateObject,
  generateText,
  stepCountIs,
  streamText,
  tool,
  type LanguageModel,
  type ModelMessage,
} from 'ai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TestChatRequest } from '../src/testing/index.js';
import { clientGatewayPerTest, PLAIN, type ClientGateway } from './support/client-libraries.js';

const gw = clientGatewayPerTest();

/** The three ways to get an AI SDK model for gateway client `name`, with the path each calls. */
const PROVIDERS: Array<{
  label: string;
  path: string;
  /** The role the provider gives the system prompt of a reasoning model. */
  reasoningRole: string;
  /** The `response_format.type` it sends for `generateObject` (compatible: no schema support). */
  objectFormat: string;
  model(g: ClientGateway, name: string): LanguageModel;
}> = [
  {
    label: 'createOpenAI default provider (Responses API)',
    path: 'POST /v1/responses',
    reasoningRole: 'developer',
    objectFormat: 'json_schema',
    model: (g, name) => createOpenAI({ baseURL: g.baseURL, apiKey: 'k', fetch: g.fetch })(name),
  },
  {
    label: 'createOpenAI .chat provider',
    path: 'POST /v1/chat/completions',
    reasoningRole: 'developer',
    objectFormat: 'json_schema',
    model: (g, name) =>
      createOpenAI({ baseURL: g.baseURL, apiKey: 'k', fetch: g.fetch }).chat(name),
  },
  {
    label: 'createOpenAICompatible',
    path: 'POST /v1/chat/completions',
    reasoningRole: 'system',
    objectFormat: 'json_object',
    model: (g, name) =>
      createOpenAICompatible({
        name: 'llm-actors',
        baseURL: g.baseURL,
        apiKey: 'k',
        fetch: g.fetch,
      })(name),
  },
];

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, celsius: 22 }),
});

describe.each(PROVIDERS)(
  'the AI SDK with $label',
  ({ path, reasoningRole, objectFormat, model }) => {
    it('generates text, and the upstream gets the system and user messages', async () => {
      const g = await gw.start();
      const result = await generateText({
        model: model(g, 'gpt'),
        system: 'Be brief.',
        prompt: 'Say hello.',
        maxRetries: 0,
      });
      expect(result.text).toBe(PLAIN);
      expect(result.finishReason).toBe('stop');
      expect(result.usage.outputTokens).toBeGreaterThan(0);
      expect(g.calls).toEqual([path]);
      expect(g.upstream[0]!.messages).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello.' },
      ]);
    });

    it('runs a multi-step tool loop: the call, its result sent back, the final answer', async () => {
      const g = await gw.start();
      const result = await generateText({
        model: model(g, 'gpt'),
        prompt: 'What is the weather in Paris?',
        tools: { weather },
        stopWhen: stepCountIs(3),
        maxRetries: 0,
      });
      expect(result.steps).toHaveLength(2);
      expect(result.steps[0]!.toolCalls.map((c) => [c.toolName, c.input])).toEqual([
        ['weather', { city: 'Paris' }],
      ]);
      expect(result.text).toBe('It is sunny in Paris ({"city":"Paris","celsius":22}).');
      expect(g.upstream).toHaveLength(2);
      expect(g.upstream[0]!.tools).toEqual([
        expect.objectContaining({ name: 'weather', description: 'The weather in a city' }),
      ]);
      expect(g.upstream[1]!.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    });

    it('streams text in several deltas', async () => {
      const g = await gw.start();
      const result = streamText({ model: model(g, 'gpt'), prompt: 'Say hello.', maxRetries: 0 });
      const deltas: string[] = [];
      for await (const delta of result.textStream) deltas.push(delta);
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join('')).toBe(PLAIN);
      expect(await result.finishReason).toBe('stop');
      expect(g.upstream[0]!.stream).toBe(true);
    });

    it('streams a tool loop: the call assembled from streamed fragments, then the answer', async () => {
      const g = await gw.start();
      const result = streamText({
        model: model(g, 'gpt'),
        prompt: 'What is the weather in Paris?',
        tools: { weather },
        stopWhen: stepCountIs(3),
        maxRetries: 0,
      });
      expect(await result.text).toBe('It is sunny in Paris ({"city":"Paris","celsius":22}).');
      const steps = await result.steps;
      expect(steps[0]!.toolCalls.map((c) => c.input)).toEqual([{ city: 'Paris' }]);
      expect(g.upstream.map((r) => r.stream)).toEqual([true, true]);
    });

    it('generates an object typed by a zod schema, sending it as a JSON schema', async () => {
      const g = await gw.start();
      const { object } = await generateObject({
        model: model(g, 'gpt'),
        schema: z.object({ city: z.string(), celsius: z.number() }),
        prompt: 'The weather in Paris as JSON.',
        maxRetries: 0,
      });
      expect(object).toEqual({ city: 'Paris', celsius: 22 });
      const format = g.upstream[0]!.responseFormat as { type: string };
      expect(format.type).toBe(objectFormat);
      if (objectFormat === 'json_schema') expect(JSON.stringify(format)).toContain('"celsius"');
    });

    it.each(['o3-mini', 'gpt-5'])(
      'answers for reasoning-model name %s, with the role and reasoning effort the provider sends',
      async (name) => {
        const g = await gw.start();
        const result = await generateText({
          model: model(g, name),
          system: 'Be brief.',
          prompt: 'Say hello.',
          providerOptions: {
            openai: { reasoningEffort: 'low' },
            'llm-actors': { reasoningEffort: 'low' },
          },
          maxRetries: 0,
        });
        expect(result.text).toBe(PLAIN);
        expect(g.upstream[0]!.messages).toEqual([
          { role: reasoningRole, content: 'Be brief.' },
          { role: 'user', content: 'Say hello.' },
        ]);
        expect(g.upstream[0]!.body.reasoning_effort).toBe('low');
      },
    );
  },
);

/** A reasoning model's answers: reasoning, then a tool call, or after a tool result the answer. */
function reasoningScript(req: TestChatRequest): object {
  const last = req.messages.at(-1);
  if (last?.role === 'tool')
    return { reasoning: 'Now I can answer.', text: `Sunny (${last.content}).` };
  return {
    reasoning: 'I need the tool.',
    toolCalls: [{ name: 'weather', arguments: { city: 'Paris' } }],
  };
}

describe('the AI SDK default provider across turns (item references to earlier output)', () => {
  it.each([false, true])(
    'runs a reasoning model tool loop, its reasoning sent back by reference (streamed: %s)',
    async (streamed) => {
      const g = await gw.start(reasoningScript);
      const settings = {
        model: createOpenAI({ baseURL: g.baseURL, apiKey: 'k', fetch: g.fetch })('gpt-5'),
        prompt: 'What is the weather in Paris?',
        tools: { weather },
        stopWhen: stepCountIs(3),
        maxRetries: 0,
      };
      const text = streamed ? await streamText(settings).text : (await generateText(settings)).text;
      expect(text).toBe('Sunny ({"city":"Paris","celsius":22}).');
      expect(g.calls).toEqual(['POST /v1/responses', 'POST /v1/responses']);
      const input = (JSON.parse(g.sent[1]!) as { input: Array<{ type?: string }> }).input;
      expect(input.map((item) => item.type)).toEqual([
        undefined,
        'item_reference',
        'function_call',
        'function_call_output',
      ]);
      expect(g.upstream[1]!.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    },
  );

  it('continues a conversation from response.messages, the earlier answer sent by reference', async () => {
    const g = await gw.start();
    const model = createOpenAI({ baseURL: g.baseURL, apiKey: 'k', fetch: g.fetch })('gpt');
    const messages: ModelMessage[] = [{ role: 'user', content: 'Say hello.' }];
    const first = await generateText({ model, messages, maxRetries: 0 });
    messages.push(...first.response.messages, { role: 'user', content: 'Again.' });
    const second = await generateText({ model, messages, maxRetries: 0 });
    expect(second.text).toBe(PLAIN);
    expect(g.sent[1]).toContain('"type":"item_reference"');
    expect(g.upstream[1]!.messages).toEqual([
      { role: 'user', content: 'Say hello.' },
      { role: 'assistant', content: PLAIN },
      { role: 'user', content: 'Again.' },
    ]);
  });
});

describe('the AI SDK default provider with reasoningSummary', () => {
  it.each([false, true])(
    'gets the reasoning the upstream showed as the summary (streamed: %s)',
    async (streamed) => {
      const g = await gw.start(() => ({ reasoning: 'First think, then greet.', text: PLAIN }));
      const settings = {
        model: createOpenAI({ baseURL: g.baseURL, apiKey: 'k', fetch: g.fetch })('o3-mini'),
        prompt: 'Say hello.',
        providerOptions: { openai: { reasoningEffort: 'low', reasoningSummary: 'auto' } },
        maxRetries: 0,
      };
      const result = streamed ? streamText(settings) : await generateText(settings);
      expect(await result.reasoningText).toBe('First think, then greet.');
      expect(await result.text).toBe(PLAIN);
      expect(JSON.parse(g.sent[0]!).reasoning).toEqual({ effort: 'low', summary: 'auto' });
    },
  );

  it('gives the summary events the openai client assembles into the final response', async () => {
    const g = await gw.start(() => ({ reasoning: 'First think, then greet.', text: PLAIN }));
    const client = new OpenAI({ baseURL: g.baseURL, apiKey: 'k', maxRetries: 0 });
    const stream = client.responses.stream({
      model: 'o3-mini',
      input: 'Say hello.',
      reasoning: { effort: 'low', summary: 'detailed' },
    });
    const deltas: string[] = [];
    stream.on('response.reasoning_summary_text.delta', (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(deltas.join('')).toBe('First think, then greet.');
    expect(final.output[0]).toMatchObject({
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: 'First think, then greet.' }],
    });
    expect(final.output_text).toBe(PLAIN);
    expect(final.reasoning).toEqual({ effort: 'low', summary: 'detailed' });
  });
});
