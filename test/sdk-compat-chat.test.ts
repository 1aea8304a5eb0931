/**
 * The whole chat through the gateway with the official `openai` client (6.49): tool loops with
 * `chat.completions.create` plain and streamed, an image part, `chat.completions.parse`, and the
 * Responses API — `responses.create` plain, with a function tool loop, streamed, and
 * `responses.stream(...).finalResponse()` — over an OpenAI-format and an Anthropic-format
 * upstream (the testing server's scripted answers).
 */
import OpenAI from 'openai';
import { zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ClientConfig } from '../src/index.js';
import type { TestChatRequest } from '../src/testing/index.js';
import { gatewayPerTest } from './support/gateway.js';
import { weather } from './support/tools.js';

const gw = gatewayPerTest();

const weatherTool = { type: 'function' as const, strict: false, ...weather.function };

/** Tool results get text; anything else a call of the weather tool. */
function toolScript(req: TestChatRequest) {
  return req.messages.at(-1)?.role === 'tool'
    ? { text: `It is sunny (${req.messages.at(-1)!.content}).` }
    : { toolCalls: [{ name: 'weather', arguments: { city: 'Paris' } }] };
}

/** A gateway over the testing server in `format`; `gpt` is its client. */
async function gateway(
  format: 'openai' | 'anthropic' = 'openai',
  script: (req: TestChatRequest) => object = toolScript,
): Promise<OpenAI> {
  const upstream = await gw.startUpstream();
  upstream.setScript(script);
  const client: ClientConfig =
    format === 'openai'
      ? { provider: 'openai', baseUrl: upstream.url, model: 'm', cache: false }
      : { provider: 'anthropic', baseUrl: upstream.origin, model: 'm', cache: false };
  const started = await gw.start({ gpt: client });
  return new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
}

describe('chat completions with the openai client', () => {
  it('runs a tool loop with create, plain and streamed (tool calls assembled from deltas)', async () => {
    const client = await gateway();
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather?' }];
    const first = await client.chat.completions.create({
      model: 'gpt',
      messages,
      tools: [weather],
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('not a function call');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    const stream = await client.chat.completions.create({
      model: 'gpt',
      messages,
      tools: [weather],
      stream: true,
    });
    const assembled: Array<{ id: string; name: string; arguments: string }> = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        assembled[d.index] ??= { id: '', name: '', arguments: '' };
        const a = assembled[d.index]!;
        a.id += d.id ?? '';
        a.name += d.function?.name ?? '';
        a.arguments += d.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(assembled).toHaveLength(1);
    expect(assembled[0]!.name).toBe('weather');
    expect(JSON.parse(assembled[0]!.arguments)).toEqual({ city: 'Paris' });

    messages.push(
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: assembled[0]!.id, type: 'function', function: assembled[0]! }],
      },
      { role: 'tool', tool_call_id: assembled[0]!.id, content: '22 °C' },
    );
    const answer = await client.chat.completions.create({
      model: 'gpt',
      messages,
      tools: [weather],
    });
    expect(answer.choices[0]!.message.content).toBe('It is sunny (22 °C).');
  });

  it('carries image_url parts, https and data: URLs, to the upstream', async () => {
    const client = await gateway('openai', () => ({ text: 'two cats' }));
    const parts = [
      { type: 'image_url' as const, image_url: { url: 'https://example.com/cat.png' } },
      { type: 'image_url' as const, image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
    ];
    const answer = await client.chat.completions.create({
      model: 'gpt',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'How many?' }, ...parts] }],
    });
    expect(answer.choices[0]!.message.content).toBe('two cats');
    const sent = gw.upstream!.lastRequest()!.body.messages as Array<{ content: unknown[] }>;
    expect(sent[0]!.content.slice(1)).toEqual(parts);
  });

  it('parses a structured answer with zodResponseFormat (zod 4), plain and streamed', async () => {
    const client = await gateway('openai', () => ({ json: { city: 'Paris', celsius: 22 } }));
    const Weather = z.object({ city: z.string(), celsius: z.number() });
    const ask = {
      model: 'gpt',
      messages: [{ role: 'user' as const, content: 'Weather in Paris as JSON' }],
      response_format: zodResponseFormat(Weather, 'weather'),
    };
    const plain = await client.chat.completions.parse(ask);
    expect(plain.choices[0]!.message.parsed).toEqual({ city: 'Paris', celsius: 22 });
    const streamed = await client.chat.completions.stream(ask).finalChatCompletion();
    expect(streamed.choices[0]!.message.parsed).toEqual({ city: 'Paris', celsius: 22 });
  });
});

describe("chat completion errors in the caller's wire terms", () => {
  it('names tool_calls, tool_call_id, function.*, json_schema.* and image_url.url as sent', async () => {
    const client = await gateway();
    const user = { role: 'user', content: 'x' };
    const call = { id: 'c1', type: 'function', function: { name: 'weather', arguments: '{}' } };
    const image = (url: string) => ({ type: 'image_url', image_url: { url } });
    const cases: Array<[object, string, string]> = [
      [
        {
          messages: [user, { role: 'assistant', content: null, tool_calls: [{ ...call, id: 7 }] }],
        },
        'messages',
        'messages[1].tool_calls[0].id: expected a string',
      ],
      [
        {
          messages: [
            user,
            {
              role: 'assistant',
              content: null,
              tool_calls: [{ ...call, function: { arguments: '{}' } }],
            },
          ],
        },
        'messages',
        'messages[1].tool_calls[0].function.name: expected a string',
      ],
      [
        { messages: [{ ...user, tool_calls: [call] }] },
        'messages',
        'messages[0].tool_calls: unknown key',
      ],
      [
        { messages: [user, { role: 'tool', tool_call_id: 7, content: '22' }] },
        'messages',
        'messages[1].tool_call_id: expected the id',
      ],
      [
        {
          messages: [
            { role: 'user', content: [{ type: 'text', text: 'x' }, image('http://a/b.png')] },
          ],
        },
        'messages',
        'messages[0].content[1].image_url.url: expected an https URL',
      ],
      [
        { messages: [{ role: 'system', content: [image('https://a/b.png')] }] },
        'messages',
        'messages[0].content[0].type: expected \'text\', got "image_url"',
      ],
      [
        {
          messages: [user],
          tools: [{ ...weather, function: { ...weather.function, name: 'a b' } }],
        },
        'tools',
        'tools[0].function.name: expected 1-64 letters',
      ],
      [
        {
          messages: [user],
          tools: [{ ...weather, function: { name: 'w', parameters: { type: 12 } } }],
        },
        'tools',
        'tools[0].function.parameters: not a valid JSON Schema',
      ],
      [
        {
          messages: [user],
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'w', schema: { type: 12 } },
          },
        },
        'response_format',
        'response_format.json_schema.schema: not a valid JSON Schema',
      ],
      [
        { messages: [user], logprobs: true, top_logprobs: 30 },
        'top_logprobs',
        'top_logprobs: expected',
      ],
    ];
    for (const [body, param, message] of cases) {
      const error = await client.chat.completions
        .create({ model: 'gpt', ...body } as never)
        .catch((e: unknown) => e);
      expect(error, message).toBeInstanceOf(OpenAI.BadRequestError);
      const failure = error as InstanceType<typeof OpenAI.BadRequestError>;
      expect(failure.message).toContain(message);
      expect(failure.message).not.toMatch(/toolCall|responseFormat/);
      expect(failure.param).toBe(param);
      expect(failure.headers.get('x-llm-actors-client')).toBe('gpt');
    }
    expect(gw.upstream!.requests).toBe(0);
  });
});

describe('the Responses API with the openai client', () => {
  it('answers responses.create with text, usage and the echoed request', async () => {
    const client = await gateway('openai', () => ({ text: 'Hello there.' }));
    const response = await client.responses.create({
      model: 'gpt',
      instructions: 'Be brief.',
      input: 'Say hello',
      max_output_tokens: 50,
    });
    expect(response.id).toMatch(/^resp_/);
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe('Hello there.');
    expect(response.instructions).toBe('Be brief.');
    expect(response.usage!.total_tokens).toBe(
      response.usage!.input_tokens + response.usage!.output_tokens,
    );
    const sent = gw.upstream!.lastRequest()!;
    expect(sent.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(sent.body.max_completion_tokens).toBe(50);
  });

  it.each(['openai', 'anthropic'] as const)(
    'runs a function tool loop with function_call_output items (%s upstream)',
    async (format) => {
      const client = await gateway(format);
      const input: ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
      const first = await client.responses.create({ model: 'gpt', input, tools: [weatherTool] });
      const call = first.output.find((item) => item.type === 'function_call');
      if (call?.type !== 'function_call') throw new Error('no function call');
      expect(call.name).toBe('weather');
      expect(call.status).toBe('completed');
      expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris' });
      expect(first.output_text).toBe('');
      input.push(...(first.output as ResponseInputItem[]), {
        type: 'function_call_output',
        call_id: call.call_id,
        output: '22 °C',
      });
      const second = await client.responses.create({ model: 'gpt', input, tools: [weatherTool] });
      expect(second.output_text).toBe('It is sunny (22 °C).');
      expect(gw.upstream!.lastRequest()!.tools?.[0]?.name).toBe('weather');
    },
  );

  it('streams events the SDK iterates and responses.stream assembles into a final response', async () => {
    const client = await gateway('openai', (req) =>
      req.tools === undefined ? { text: 'Streamed words arrive one by one.' } : toolScript(req),
    );
    const stream = await client.responses.create({ model: 'gpt', input: 'Talk', stream: true });
    const types: string[] = [];
    let text = '';
    let sequence = -1;
    for await (const event of stream) {
      types.push(event.type);
      expect(event.sequence_number).toBe(sequence + 1);
      sequence = event.sequence_number;
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(text).toBe('Streamed words arrive one by one.');
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);

    const helper = client.responses.stream({
      model: 'gpt',
      input: 'Weather?',
      tools: [weatherTool],
    });
    const deltas: string[] = [];
    helper.on('response.function_call_arguments.delta', (e) => deltas.push(e.delta));
    const final = await helper.finalResponse();
    const call = final.output.find((item) => item.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no function call');
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris' });
    expect(deltas.join('')).toBe(call.arguments);
    expect(final.status).toBe('completed');
  });

  it('parses a structured answer with responses.parse and zodTextFormat', async () => {
    const client = await gateway('openai', () => ({ json: { city: 'Paris', celsius: 22 } }));
    const Weather = z.object({ city: z.string(), celsius: z.number() });
    const response = await client.responses.parse({
      model: 'gpt',
      input: 'Weather in Paris as JSON',
      text: { format: zodTextFormat(Weather, 'weather') },
    });
    expect(response.output_parsed).toEqual({ city: 'Paris', celsius: 22 });
    const sent = gw.upstream!.lastRequest()!.responseFormat as {
      type: string;
      json_schema: object;
    };
    expect(sent.type).toBe('json_schema');
    expect(sent.json_schema).toMatchObject({ name: 'weather', strict: true });
  });

  it('refuses a stateful field with a BadRequestError that says so', async () => {
    const client = await gateway();
    const error = await client.responses
      .create({ model: 'gpt', input: 'x', previous_response_id: 'resp_earlier' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const failure = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(failure.message).toContain('stateful Responses are not supported');
    expect(failure.param).toBe('previous_response_id');
    expect(gw.upstream!.requests).toBe(0);
  });
});
