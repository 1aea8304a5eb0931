/**
 * An Anthropic tool loop with thinking through the gateway's OpenAI wire: the signed thinking
 * block comes back as `reasoning_details` (plain and streamed) and, sent back as it came,
 * reaches Anthropic as the same thinking block with its signature.
 */
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
type Json = Record<string, unknown>;
import { gatewayPerTest } from './support/gateway.js';

const gw = gatewayPerTest();

const weather = {
  type: 'function' as const,
  function: {
    name: 'weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

/** A gateway over an Anthropic-format upstream that thinks, signs and calls the tool first. */
async function thinkingGateway(): Promise<{ client: OpenAI; bodies: Json[] }> {
  const upstream = await gw.startUpstream();
  const bodies: Json[] = [];
  upstream.setScript((req) => {
    bodies.push(req.body);
    return req.messages.at(-1)?.role === 'tool'
      ? { text: 'It is sunny.' }
      : {
          reasoning: 'Ask the tool.',
          reasoningSignature: 'sig-42',
          redactedReasoning: 'opaque==',
          toolCalls: [{ id: 'toolu_1', name: 'weather', arguments: { city: 'Paris' } }],
        };
  });
  const gateway = await gw.start({
    claude: {
      provider: 'anthropic',
      baseUrl: upstream.origin,
      model: 'claude-x',
      apiKey: 'k',
      cache: false,
    },
  });
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  return { client, bodies };
}

const details = [
  { type: 'reasoning.encrypted', data: 'opaque==', index: 0 },
  { type: 'reasoning.text', text: 'Ask the tool.', signature: 'sig-42', index: 1 },
];

const thinkingBlocks = [
  { type: 'redacted_thinking', data: 'opaque==' },
  { type: 'thinking', thinking: 'Ask the tool.', signature: 'sig-42' },
];

describe('signed reasoning through the gateway', () => {
  it('answers reasoning_details and takes them back into Anthropic thinking blocks', async () => {
    const { client, bodies } = await thinkingGateway();
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await client.chat.completions.create({
      model: 'claude',
      messages,
      tools: [weather],
      reasoning_effort: 'low',
    });
    const message = first.choices[0]!.message as (typeof first.choices)[0]['message'] & {
      reasoning_details?: unknown;
    };
    expect(message.reasoning_details).toEqual(details);
    messages.push(message as ChatCompletionMessageParam);
    messages.push({ role: 'tool', tool_call_id: 'toolu_1', content: '21°C' });
    const second = await client.chat.completions.create({
      model: 'claude',
      messages,
      tools: [weather],
      reasoning_effort: 'low',
    });
    expect(second.choices[0]!.message.content).toBe('It is sunny.');
    const turns = bodies[1]!.messages as Json[];
    const assistant = turns[1]!.content as Json[];
    expect(assistant.slice(0, 2)).toEqual(thinkingBlocks);
    expect(assistant[2]).toMatchObject({ type: 'tool_use', id: 'toolu_1', name: 'weather' });
  });

  it('sends reasoning_details on the finish chunk of a stream', async () => {
    const { client } = await thinkingGateway();
    const stream = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weather],
      stream: true,
    });
    const seen: unknown[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { reasoning_details?: unknown[] } | undefined;
      if (delta?.reasoning_details !== undefined) seen.push(...delta.reasoning_details);
    }
    expect(seen).toEqual(details);
  });

  it('takes reasoning_content when the reasoning_details sent back are only summaries', async () => {
    const { client, bodies } = await thinkingGateway();
    await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          content: 'Hello',
          reasoning_content: 'Greet back.',
          reasoning_details: [{ type: 'reasoning.summary', summary: 'greeting' }],
        } as ChatCompletionMessageParam,
        { role: 'user', content: 'Weather?' },
      ],
    });
    const assistant = (bodies[0]!.messages as Json[])[1]!.content as Json[];
    expect(assistant[0]).toMatchObject({ type: 'thinking', thinking: 'Greet back.' });
  });

  it('refuses a reasoning_details entry it cannot read, naming it', async () => {
    const { client, bodies } = await thinkingGateway();
    const refused = await client.chat.completions
      .create({
        model: 'claude',
        messages: [
          { role: 'user', content: 'Hi' },
          {
            role: 'assistant',
            content: 'Hello',
            reasoning_details: [{ type: 'reasoning.text', text: 42 }],
          } as ChatCompletionMessageParam,
          { role: 'user', content: 'Again' },
        ],
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as Error).message).toContain('messages[1].reasoning_details[0].text');
    expect(bodies).toHaveLength(0);
  });
});
