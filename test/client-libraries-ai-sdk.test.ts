/**
 * The Vercel AI SDK (ai 6) through the gateway as a user would drive it: `createOpenAI`'s default
 * provider (the Responses API), its `.chat` provider (chat completions) and
 * `createOpenAICompatible` — plain and streamed text, a multi-step tool loop, a zod-typed object,
 * and reasoning-model names for which the provider sends the `developer` role by itself.
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
} from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
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
