/**
 * The whole chat through the gateway with the official `openai` client: a tool loop, streamed
 * tool calls reassembled by the SDK's stream helper, images, structured output with
 * `chat.completions.parse`, reasoning, logprobs and usage details — each field reaching the
 * upstream in OpenAI's shape and coming back in it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { gatewayPerTest } from './support/gateway.js';
import { weather } from './support/tools.js';

const gw = gatewayPerTest();

function sdk(url: string): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
}

/** A gateway over the testing server, answering tool results with text and the rest with a call. */
async function toolGateway(): Promise<{ client: OpenAI; requests: () => number }> {
  const upstream = await gw.startUpstream();
  upstream.setScript((req) =>
    req.messages.at(-1)?.role === 'tool'
      ? { text: 'It is sunny.' }
      : { toolCalls: [{ name: 'weather', arguments: { city: 'Paris' } }] },
  );
  const gateway = await gw.start({
    gpt: { provider: 'openai', baseUrl: upstream.url, model: 'm', cache: false },
  });
  return { client: sdk(gateway.url), requests: () => upstream.requests };
}

/** An upstream that records each raw body and answers with `answer(body)`: JSON, or SSE events. */
async function recordingUpstream(
  answer: (body: Record<string, unknown>) => object | object[],
): Promise<{ baseUrl: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (data: Buffer) => (raw += data.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      bodies.push(body);
      const out = answer(body);
      if (!Array.isArray(out)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const event of out) res.write(`data: ${JSON.stringify(event)}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  gw.track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, bodies };
}

const usage = {
  prompt_tokens: 20,
  completion_tokens: 9,
  total_tokens: 29,
  prompt_tokens_details: { cached_tokens: 16 },
  completion_tokens_details: { reasoning_tokens: 5 },
};

describe('tools through the gateway', () => {
  it('runs a whole tool loop: tool_calls, the assistant turn and its result sent back, an answer', async () => {
    const { client } = await toolGateway();
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await client.chat.completions.create({
      model: 'gpt',
      messages,
      tools: [weather],
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    if (call.type !== 'function') throw new Error('not a function call');
    expect(call.function.name).toBe('weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: '22 °C' });
    const second = await client.chat.completions.create({
      model: 'gpt',
      messages,
      tools: [weather],
    });
    expect(second.choices[0]!.message.content).toBe('It is sunny.');
    expect(second.choices[0]!.finish_reason).toBe('stop');
  });

  it('streams tool calls as delta.tool_calls fragments the SDK stream helper reassembles', async () => {
    const { client } = await toolGateway();
    const stream = client.chat.completions.stream({
      model: 'gpt',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weather],
    });
    const fragments: string[] = [];
    stream.on('tool_calls.function.arguments.delta', (e) => fragments.push(e.arguments_delta));
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    if (call.type !== 'function') throw new Error('not a function call');
    expect(call.id).toMatch(/^call_/);
    expect(call.function.name).toBe('weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    expect(fragments.length).toBeGreaterThan(1);
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('sends tools, tool_choice, parallel_tool_calls, tool_calls and tool_call_id upstream as sent', async () => {
    const up = await recordingUpstream(() => ({
      id: 'c',
      object: 'chat.completion',
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage,
    }));
    const gateway = await gw.start({
      gpt: { provider: 'openai', baseUrl: up.baseUrl, model: 'm' },
    });
    const toolCalls = [
      { id: 'call_1', type: 'function' as const, function: { name: 'weather', arguments: '{}' } },
    ];
    await sdk(gateway.url).chat.completions.create({
      model: 'gpt',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: toolCalls },
        { role: 'tool', tool_call_id: 'call_1', content: 'rain' },
      ],
      tools: [weather],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      parallel_tool_calls: false,
      max_completion_tokens: 50,
      reasoning_effort: 'low',
    });
    const body = up.bodies[0]!;
    expect(body.messages).toEqual([
      { role: 'developer', content: 'Be brief.' },
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, tool_calls: toolCalls },
      { role: 'tool', tool_call_id: 'call_1', content: 'rain' },
    ]);
    expect(body.tools).toEqual([weather]);
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'weather' } });
    expect(body.parallel_tool_calls).toBe(false);
    expect(body.max_completion_tokens).toBe(50);
    expect(body.max_tokens).toBeUndefined();
    expect(body.reasoning_effort).toBe('low');
  });

  it('gives a tool choice a provider cannot carry back as a 400 naming the field', async () => {
    const upstream = await gw.startUpstream();
    const gateway = await gw.start({
      local: { provider: 'ollama', baseUrl: upstream.origin, model: 'm' },
    });
    const error = await sdk(gateway.url)
      .chat.completions.create({
        model: 'local',
        messages: [{ role: 'user', content: 'x' }],
        tools: [weather],
        tool_choice: 'required',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain(
      'tool_choice: the ollama provider',
    );
    expect((error as InstanceType<typeof OpenAI.APIError>).param).toBe('tool_choice');
    expect(upstream.requests).toBe(0);
  });
});

describe("chat option errors in the body's terms", () => {
  it('names reasoning_effort and tool_choice as the caller wrote them', async () => {
    const upstream = await gw.startUpstream();
    const gateway = await gw.start({
      gpt: { provider: 'openai', baseUrl: upstream.url, model: 'm' },
    });
    const client = sdk(gateway.url);
    const messages = [{ role: 'user' as const, content: 'x' }];
    type Failure = InstanceType<typeof OpenAI.APIError>;
    const effort = await client.chat.completions
      .create({ model: 'gpt', messages, reasoning_effort: 'minimal' })
      .then(
        () => ({}) as Failure,
        (e: unknown) => e as Failure,
      );
    expect(effort.message).toMatch(/^400 reasoning_effort: expected 'low'/);
    expect(effort.param).toBe('reasoning_effort');
    const choice = await client.chat.completions
      .create({ model: 'gpt', messages, tools: [weather], tool_choice: 'any' as 'auto' })
      .then(
        () => ({}) as Failure,
        (e: unknown) => e as Failure,
      );
    expect(choice.param).toBe('tool_choice');
    expect(upstream.requests).toBe(0);
  });
});

describe('images, structured output, reasoning, logprobs and usage through the gateway', () => {
  it('sends an image part upstream as image_url', async () => {
    const up = await recordingUpstream(() => ({
      id: 'c',
      object: 'chat.completion',
      model: 'm',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'a cat' }, finish_reason: 'stop' },
      ],
    }));
    const gateway = await gw.start({
      gpt: { provider: 'openai', baseUrl: up.baseUrl, model: 'm' },
    });
    const image = 'data:image/png;base64,iVBORw0KGgo=';
    const answer = await sdk(gateway.url).chat.completions.create({
      model: 'gpt',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: image } },
          ],
        },
      ],
    });
    expect(answer.choices[0]!.message.content).toBe('a cat');
    expect((up.bodies[0]!.messages as unknown[])[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: image } },
      ],
    });
  });

  it('answers chat.completions.parse with a zod response_format', async () => {
    const upstream = await gw.startUpstream();
    const gateway = await gw.start({
      gpt: { provider: 'openai', baseUrl: upstream.url, model: 'm' },
    });
    upstream.enqueue({ json: { city: 'Paris', celsius: 22 } });
    const Weather = z.object({ city: z.string(), celsius: z.number() });
    const answer = await sdk(gateway.url).chat.completions.parse({
      model: 'gpt',
      messages: [{ role: 'user', content: 'Weather in Paris as JSON' }],
      response_format: zodResponseFormat(Weather, 'weather'),
    });
    expect(answer.choices[0]!.message.parsed).toEqual({ city: 'Paris', celsius: 22 });
    const sent = upstream.lastRequest()!.responseFormat as { type: string; json_schema: object };
    expect(sent.type).toBe('json_schema');
    expect(sent.json_schema).toMatchObject({ name: 'weather', strict: true });
  });

  it('carries reasoning_content, logprobs and usage details back, plain and streamed', async () => {
    const logprobs = {
      content: [{ token: 'ok', logprob: -0.1, bytes: null, top_logprobs: [] }],
      refusal: null,
    };
    const up = await recordingUpstream((body) =>
      body.stream === true
        ? [
            { id: 'c', model: 'm', choices: [{ index: 0, delta: { reasoning_content: 'hmm' } }] },
            { id: 'c', model: 'm', choices: [{ index: 0, delta: { content: 'ok' }, logprobs }] },
            { id: 'c', model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
            { id: 'c', model: 'm', choices: [], usage },
          ]
        : {
            id: 'c',
            object: 'chat.completion',
            model: 'm',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: 'ok', reasoning_content: 'hmm' },
                logprobs,
                finish_reason: 'stop',
              },
            ],
            usage,
          },
    );
    const gateway = await gw.start({
      gpt: { provider: 'openai', baseUrl: up.baseUrl, model: 'm', cache: false },
    });
    const client = sdk(gateway.url);
    const ask = {
      model: 'gpt',
      messages: [{ role: 'user' as const, content: 'ok?' }],
      logprobs: true,
      top_logprobs: 2,
    };
    const plain = await client.chat.completions.create(ask);
    expect(up.bodies[0]).toMatchObject({ logprobs: true, top_logprobs: 2 });
    const message = plain.choices[0]!.message as (typeof plain.choices)[0]['message'] & {
      reasoning_content?: string;
    };
    expect(message.reasoning_content).toBe('hmm');
    expect(plain.choices[0]!.logprobs!.content![0]).toMatchObject({ token: 'ok', logprob: -0.1 });
    expect(plain.usage).toEqual(usage);

    const stream = await client.chat.completions.create({
      ...ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    let reasoning = '';
    const tokens: string[] = [];
    let last: OpenAI.Chat.Completions.ChatCompletionChunk | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      for (const t of chunk.choices[0]?.logprobs?.content ?? []) tokens.push(t.token);
      last = chunk;
    }
    expect(up.bodies[1]).toMatchObject({ logprobs: true, top_logprobs: 2 });
    expect(reasoning).toBe('hmm');
    expect(tokens).toEqual(['ok']);
    expect(last!.usage).toEqual(usage);
  });
});
