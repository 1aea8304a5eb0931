/**
 * What the AI SDK's default OpenAI provider (the Responses API) does beyond one answer, through
 * the gateway: later turns name earlier output by `item_reference` (it assumes OpenAI's
 * `store: true`), a reasoning model's tool loop sends its reasoning back that way — signatures
 * kept for an Anthropic upstream — and reasoning reaches it only as a summary
 * (`reasoningSummary`). The official client's stream helper reads the same summary events.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool, type ModelMessage } from 'ai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TestChatRequest } from '../src/testing/index.js';
import { clientGatewayPerTest, PLAIN } from './support/client-libraries.js';

const gw = clientGatewayPerTest();

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, celsius: 22 }),
});

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

  it.each([undefined, false])(
    'sends an Anthropic upstream its signed thinking back in the tool loop (store: %s)',
    async (store) => {
      const g = await gw.start(
        (req) =>
          req.messages.at(-1)?.role === 'tool'
            ? { text: 'Sunny.' }
            : { ...reasoningScript(req), reasoningSignature: 'c2lnbmVk' },
        'anthropic',
      );
      const { text } = await generateText({
        model: createOpenAI({ baseURL: g.baseURL, apiKey: 'k' })('gpt-5'),
        prompt: 'What is the weather in Paris?',
        tools: { weather },
        stopWhen: stepCountIs(3),
        providerOptions: { openai: { store } },
        maxRetries: 0,
      });
      expect(text).toBe('Sunny.');
      const turn = (g.upstream[1]!.body.messages as Array<{ content: unknown[] }>)[1]!;
      expect(turn.content[0]).toEqual({
        type: 'thinking',
        thinking: 'I need the tool.',
        signature: 'c2lnbmVk',
      });
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
