/**
 * LlamaIndex's OpenAI adapter (@llamaindex/openai 0.4) through the gateway as a user would drive
 * it: `OpenAI` (chat completions) plain, streamed and with a tool round trip, and
 * `OpenAIResponses` (the Responses API) plain.
 */
import type { ChatMessage, ToolCallLLMMessageOptions } from '@llamaindex/core/llms';
import { FunctionTool } from '@llamaindex/core/tools';
import { OpenAI, OpenAIResponses } from '@llamaindex/openai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clientGatewayPerTest, PLAIN, type ClientGateway } from './support/client-libraries.js';

const gw = clientGatewayPerTest();

const llm = (g: ClientGateway) =>
  new OpenAI({
    model: 'gpt',
    apiKey: 'k',
    baseURL: g.baseURL,
    maxRetries: 0,
    additionalSessionOptions: { fetch: g.fetch },
  });

const weather = FunctionTool.from(({ city }: { city: string }) => `22 °C in ${city}`, {
  name: 'weather',
  description: 'The weather in a city',
  parameters: z.object({ city: z.string() }),
});

describe('LlamaIndex OpenAI through the gateway', () => {
  it('chats with a system and a user message', async () => {
    const g = await gw.start();
    const response = await llm(g).chat({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello.' },
      ],
    });
    expect(response.message.content).toBe(PLAIN);
    expect(g.calls).toEqual(['POST /v1/chat/completions']);
    expect(g.upstream[0]!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hello.' },
    ]);
  });

  it('streams a chat in several deltas', async () => {
    const g = await gw.start();
    const stream = await llm(g).chat({
      messages: [{ role: 'user', content: 'Say hello.' }],
      stream: true,
    });
    const deltas: string[] = [];
    for await (const chunk of stream) if (chunk.delta) deltas.push(chunk.delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(PLAIN);
  });

  it('round-trips a tool call: options.toolCall, a toolResult message, the final answer', async () => {
    const g = await gw.start();
    const model = llm(g);
    const messages: ChatMessage<ToolCallLLMMessageOptions>[] = [
      { role: 'user', content: 'What is the weather in Paris?' },
    ];
    const first = await model.chat({ messages, tools: [weather] });
    const calls = (
      first.message.options as { toolCall: Array<{ id: string; name: string; input: unknown }> }
    ).toolCall;
    // The adapter leaves a non-streamed call's input as the JSON text it got.
    expect(calls.map((c) => [c.name, c.input])).toEqual([['weather', '{"city":"Paris"}']]);
    messages.push(first.message, {
      role: 'user',
      content: '22 °C',
      options: { toolResult: { id: calls[0]!.id, result: '22 °C', isError: false } },
    });
    const answer = await model.chat({ messages, tools: [weather] });
    expect(answer.message.content).toBe('It is sunny in Paris (22 °C).');
    expect(g.upstream[0]!.tools).toEqual([expect.objectContaining({ name: 'weather' })]);
    expect(g.upstream[1]!.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('chats over the Responses API with OpenAIResponses', async () => {
    const g = await gw.start();
    const model = new OpenAIResponses({
      model: 'gpt',
      apiKey: 'k',
      baseURL: g.baseURL,
      maxRetries: 0,
      additionalSessionOptions: { fetch: g.fetch },
    });
    const response = await model.chat({ messages: [{ role: 'user', content: 'Say hello.' }] });
    expect(response.message.content).toBe(PLAIN);
    expect(g.calls).toEqual(['POST /v1/responses']);
    // The adapter always sends top_p and user; the gateway carries them as the chat route does.
    expect(g.upstream[0]!.body).toMatchObject({ top_p: 1, user: '' });
  });
});
