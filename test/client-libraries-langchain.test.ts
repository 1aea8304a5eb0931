/**
 * LangChain's `ChatOpenAI` (@langchain/openai 1.5) through the gateway as a user would drive it:
 * invoke, stream, a `bindTools` round trip (AIMessage tool_calls → ToolMessage → answer),
 * `withStructuredOutput(zod)`, a reasoning-model name (the `developer` role), and all of it
 * again with `useResponsesApi: true` (the Responses API).
 */
import { AIMessage, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clientGatewayPerTest, PLAIN, type ClientGateway } from './support/client-libraries.js';
import { weather } from './support/tools.js';

const gw = clientGatewayPerTest();

describe.each([
  { api: 'chat completions', useResponsesApi: false, path: 'POST /v1/chat/completions' },
  { api: 'the Responses API', useResponsesApi: true, path: 'POST /v1/responses' },
])('LangChain ChatOpenAI over $api', ({ useResponsesApi, path }) => {
  const chat = (g: ClientGateway, model = 'gpt') =>
    new ChatOpenAI({
      model,
      apiKey: 'k',
      configuration: { baseURL: g.baseURL, fetch: g.fetch },
      maxRetries: 0,
      useResponsesApi,
    });

  it('invokes with a system and a human message', async () => {
    const g = await gw.start();
    const answer = await chat(g).invoke([
      new SystemMessage('Be brief.'),
      new HumanMessage('Say hello.'),
    ]);
    expect(answer.text).toBe(PLAIN);
    expect(answer.usage_metadata?.output_tokens).toBeGreaterThan(0);
    expect(g.calls).toEqual([path]);
    expect(g.upstream[0]!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hello.' },
    ]);
  });

  it('streams the answer in several chunks', async () => {
    const g = await gw.start();
    const chunks: string[] = [];
    for await (const chunk of await chat(g).stream('Say hello.')) {
      if (chunk.text) chunks.push(chunk.text);
    }
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe(PLAIN);
    expect(g.upstream[0]!.stream).toBe(true);
  });

  it('round-trips a bindTools call: tool_calls, a ToolMessage, the final answer', async () => {
    const g = await gw.start();
    const model = chat(g).bindTools([weather]);
    const question = new HumanMessage('What is the weather in Paris?');
    const call = await model.invoke([question]);
    expect(call.tool_calls?.map((c) => [c.name, c.args])).toEqual([['weather', { city: 'Paris' }]]);
    const result = new ToolMessage({ tool_call_id: call.tool_calls![0]!.id!, content: '22 °C' });
    const answer = await model.invoke([question, call, result]);
    expect(answer.text).toBe('It is sunny in Paris (22 °C).');
    expect(g.upstream[0]!.tools).toEqual([
      expect.objectContaining({ name: 'weather', parameters: weather.function.parameters }),
    ]);
    expect(g.upstream[1]!.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('streams a bindTools call, its arguments assembled from the chunks', async () => {
    const g = await gw.start();
    let whole: AIMessage | undefined;
    const stream = await chat(g).bindTools([weather]).stream('What is the weather in Paris?');
    for await (const chunk of stream)
      whole = whole ? (whole as never as typeof chunk).concat(chunk) : chunk;
    expect(whole?.tool_calls?.map((c) => [c.name, c.args])).toEqual([
      ['weather', { city: 'Paris' }],
    ]);
  });

  it('returns a structured answer with withStructuredOutput(zod), sending the JSON schema', async () => {
    const g = await gw.start();
    const structured = chat(g).withStructuredOutput(
      z.object({ city: z.string(), celsius: z.number() }),
      { name: 'weather_report' },
    );
    expect(await structured.invoke('The weather in Paris as JSON.')).toEqual({
      city: 'Paris',
      celsius: 22,
    });
    expect(JSON.stringify(g.upstream[0]!.responseFormat)).toContain('"celsius"');
  });

  it('answers for a reasoning-model name, carrying the developer role and reasoning effort', async () => {
    const g = await gw.start();
    const model = new ChatOpenAI({
      model: 'o3-mini',
      apiKey: 'k',
      configuration: { baseURL: g.baseURL },
      maxRetries: 0,
      useResponsesApi,
      reasoning: { effort: 'low' },
    });
    const answer = await model.invoke([new SystemMessage('Be brief.'), new HumanMessage('Hi.')]);
    expect(answer.text).toBe(PLAIN);
    expect(g.upstream[0]!.messages).toEqual([
      { role: 'developer', content: 'Be brief.' },
      { role: 'user', content: 'Hi.' },
    ]);
    expect(g.upstream[0]!.body.reasoning_effort).toBe('low');
  });
});

describe('JSON Schemas of draft 2020-12, as zod 4 and LangChain write them', () => {
  const pair = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'array',
    prefixItems: [{ type: 'string' }, { type: 'number' }],
    items: false,
  };
  const ask = (g: ClientGateway) =>
    new OpenAI({ baseURL: g.baseURL, apiKey: 'k', maxRetries: 0 }).chat.completions.create({
      model: 'gpt',
      messages: [{ role: 'user', content: 'A city and its temperature.' }],
      response_format: { type: 'json_schema', json_schema: { name: 'pair', schema: pair } },
    });

  it('are accepted, and the answer is checked by that draft (prefixItems)', async () => {
    const g = await gw.start(() => ({ json: ['Paris', 22] }));
    const answer = await ask(g);
    expect(JSON.parse(answer.choices[0]!.message.content!)).toEqual(['Paris', 22]);
    expect((g.upstream[0]!.responseFormat as { json_schema: unknown }).json_schema).toMatchObject({
      schema: pair,
    });
  });

  it('refuse an answer that breaks the draft 2020-12 rules draft 7 would not know', async () => {
    const g = await gw.start(() => ({ json: ['Paris', 'warm'] }));
    await expect(ask(g)).rejects.toThrow(/does not match the schema: at \/1: must be number/);
  });
});
