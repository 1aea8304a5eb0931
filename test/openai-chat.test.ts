import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatMessage, ClientConfig, Runtime, StreamChunk } from '../src/index.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

type Json = Record<string, unknown>;
/** What the upstream answers: a JSON body, or SSE events (each a JSON object or a raw line). */
type Reply = { json: Json } | { events: Array<Json | string>; done?: boolean };

let server: Server;
let url: string;
let bodies: Json[];
let replies: Array<(body: Json) => Reply>;

beforeEach(async () => {
  bodies = [];
  replies = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as Json;
      bodies.push(body);
      const next = replies.shift();
      if (next === undefined) throw new Error('the test scripted no answer for this call');
      const reply = next(body);
      if ('json' in reply) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.json));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of reply.events) {
        res.write(typeof e === 'string' ? `${e}\n\n` : `data: ${JSON.stringify(e)}\n\n`);
      }
      res.end(reply.done === false ? '' : 'data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

const runtimes = runtimePerTest();
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function start(extra: Partial<ClientConfig> = {}): Promise<Runtime> {
  return runtimes.start({
    clients: {
      gpt: {
        provider: 'openai',
        model: 'gpt-test',
        baseUrl: url,
        apiKey: 'k',
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
        ...extra,
      } as ClientConfig,
    },
  });
}

const weatherTool = {
  name: 'weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const question: ChatMessage[] = [{ role: 'user', content: 'Weather in Paris?' }];
const usage = { prompt_tokens: 20, completion_tokens: 10, total_tokens: 31 };

function message(msg: Json, finish = 'stop', extra: Json = {}): Reply {
  return {
    json: {
      model: 'gpt-test-1',
      choices: [{ index: 0, message: { role: 'assistant', ...msg }, finish_reason: finish }],
      usage,
      ...extra,
    },
  };
}

const callWeather = message(
  {
    content: null,
    tool_calls: [
      {
        id: 'call_1',
        type: 'function',
        function: { name: 'weather', arguments: '{"city":"Paris"}' },
      },
    ],
  },
  'tool_calls',
);

/** The chunks of a streamed tool call, its arguments cut in three fragments. */
const streamedCall: Array<Json | string> = [
  { model: 'gpt-test-1', choices: [{ index: 0, delta: { role: 'assistant', content: null } }] },
  {
    choices: [
      {
        index: 0,
        delta: {
          tool_calls: [
            {
              index: 0,
              id: 'call_1',
              type: 'function',
              function: { name: 'weather', arguments: '' },
            },
          ],
        },
      },
    ],
  },
  {
    choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] } }],
  },
  {
    choices: [
      { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: 'ty":"Par' } }] } },
    ],
  },
  {
    choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: 'is"}' } }] } }],
  },
  { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
  { choices: [], usage },
];

async function collect(stream: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const chunks: StreamChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('the openai provider, tools', () => {
  it('runs a whole tool loop: call, the answer turn appended, the tool result, the answer', async () => {
    const rt = await start();
    replies.push(
      () => callWeather,
      () => message({ content: 'Sunny, 21°C.' }),
    );
    const first = await rt.request('gpt', question, { tools: [weatherTool], toolChoice: 'auto' });
    expect(first.finishReason).toBe('tool_calls');
    expect(first.toolCalls).toEqual([
      { id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
    ]);
    expect(first.message).toEqual({
      role: 'assistant',
      content: null,
      toolCalls: first.toolCalls,
    });
    expect(bodies[0]).toMatchObject({
      tools: [{ type: 'function', function: weatherTool }],
      tool_choice: 'auto',
    });

    const history: ChatMessage[] = [
      ...question,
      first.message,
      { role: 'tool', toolCallId: 'call_1', content: '{"sky":"sunny","c":21}' },
    ];
    const second = await rt.request('gpt', history, { tools: [weatherTool] });
    expect(second.text).toBe('Sunny, 21°C.');
    expect(second.toolCalls).toBeUndefined();
    expect(bodies[1]!.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'weather', arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: 'tool', content: '{"sky":"sunny","c":21}', tool_call_id: 'call_1' },
    ]);
  });

  it('reassembles streamed tool-call fragments by index, and streams them as they come', async () => {
    const rt = await start();
    replies.push(() => ({ events: streamedCall }));
    const stream = rt.stream('gpt', question, { tools: [weatherTool] });
    const chunks = await collect(stream);
    const done = await stream.completion;
    expect(done.toolCalls).toEqual([
      { id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
    ]);
    expect(done.finishReason).toBe('tool_calls');
    expect(done.message).toEqual({ role: 'assistant', content: null, toolCalls: done.toolCalls });
    expect(chunks.map((c) => c.toolCall)).toEqual([
      { index: 0, id: 'call_1', name: 'weather', arguments: '' },
      { index: 0, arguments: '{"ci' },
      { index: 0, arguments: 'ty":"Par' },
      { index: 0, arguments: 'is"}' },
    ]);
    expect(chunks.every((c) => c.text === '')).toBe(true);
    expect(done.usage.totalTokens).toBe(31);
  });

  it('keys the cache by the tools, and replays cached tool calls, plain and streamed', async () => {
    const rt = await start();
    replies.push(
      () => callWeather,
      () => message({ content: 'no tools here' }),
    );
    const first = await rt.request('gpt', question, { tools: [weatherTool] });
    const other = await rt.request('gpt', question, {
      tools: [{ ...weatherTool, description: 'Another description' }],
    });
    expect(other.cacheHit).toBe(false);
    expect(other.text).toBe('no tools here');

    const again = await rt.request('gpt', question, { tools: [weatherTool] });
    expect(again.cacheHit).toBe(true);
    expect(again.toolCalls).toEqual(first.toolCalls);
    expect(again.message).toEqual(first.message);

    const stream = rt.stream('gpt', question, { tools: [weatherTool] });
    const chunks = await collect(stream);
    expect((await stream.completion).cacheHit).toBe(true);
    expect(chunks).toEqual([
      {
        text: '',
        toolCall: { index: 0, id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' },
      },
    ]);
    expect(bodies).toHaveLength(2);
  });

  it('sends a named tool choice, parallel_tool_calls, images and the developer role', async () => {
    const rt = await start();
    replies.push(() => message({ content: 'a cat' }));
    await rt.request(
      'gpt',
      [
        { role: 'developer', content: 'Answer in two words.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=' },
          ],
        },
      ],
      { tools: [weatherTool], toolChoice: { name: 'weather' }, parallelToolCalls: false },
    );
    expect(bodies[0]).toMatchObject({
      tool_choice: { type: 'function', function: { name: 'weather' } },
      parallel_tool_calls: false,
      messages: [
        { role: 'developer', content: 'Answer in two words.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
    });
  });
});

describe('the openai provider, answers', () => {
  it('reads text given as content parts, and does not cache an empty answer in its place', async () => {
    const rt = await start();
    replies.push(() =>
      message({
        content: [
          { type: 'text', text: 'Hello, ' },
          { type: 'text', text: 'world.' },
        ],
      }),
    );
    const res = await rt.request('gpt', question);
    expect(res.text).toBe('Hello, world.');
    expect((await rt.request('gpt', question)).text).toBe('Hello, world.');
  });

  it('sends a reasoning model its token limit as max_completion_tokens, even with no effort set', async () => {
    const rt = await start({ model: 'o4-mini' });
    replies.push(() => message({ content: 'ok' }));
    await rt.request('gpt', question, { maxTokens: 300 });
    expect(bodies[0]).toMatchObject({ max_completion_tokens: 300 });
    expect(bodies[0]!.max_tokens).toBeUndefined();
  });

  it('reads reasoning, usage details and logprobs, and sends the reasoning effort', async () => {
    const rt = await start();
    replies.push(() =>
      message({ content: '42', reasoning_content: 'Six times seven.' }, 'stop', {
        usage: {
          prompt_tokens: 100,
          completion_tokens: 50,
          total_tokens: 150,
          prompt_tokens_details: { cached_tokens: 64 },
          completion_tokens_details: { reasoning_tokens: 40 },
        },
      }),
    );
    const res = await rt.request('gpt', question, {
      reasoning: { effort: 'low' },
      maxTokens: 500,
    });
    expect(bodies[0]).toMatchObject({ reasoning_effort: 'low', max_completion_tokens: 500 });
    expect(bodies[0]!.max_tokens).toBeUndefined();
    expect(res.reasoning).toBe('Six times seven.');
    expect(res.message.reasoning).toEqual([{ type: 'reasoning', text: 'Six times seven.' }]);
    expect(res.usage).toEqual({
      promptTokens: 100,
      completionTokens: 50,
      totalTokens: 150,
      cachedPromptTokens: 64,
      reasoningTokens: 40,
    });
  });

  it('reads reasoning given as thinking parts of the content, apart from the text', async () => {
    const rt = await start();
    replies.push(() =>
      message({
        content: [
          { type: 'thinking', thinking: [{ type: 'text', text: '2+2 is 4.' }] },
          { type: 'text', text: '4' },
        ],
        function_call: { name: '', arguments: '' },
      }),
    );
    const res = await rt.request('gpt', question);
    expect(res.text).toBe('4');
    expect(res.reasoning).toBe('2+2 is 4.');
    expect(res.toolCalls).toBeUndefined();
  });

  it('asks for logprobs and reads them back', async () => {
    const rt = await start();
    replies.push(() => ({
      json: {
        choices: [
          {
            message: { content: 'Hi' },
            finish_reason: 'stop',
            logprobs: {
              content: [
                { token: 'Hi', logprob: -0.1, top_logprobs: [{ token: 'Hi', logprob: -0.1 }] },
              ],
            },
          },
        ],
        usage,
      },
    }));
    const res = await rt.request('gpt', question, { logprobs: 1 });
    expect(bodies[0]).toMatchObject({ logprobs: true, top_logprobs: 1 });
    expect(res.logprobs).toEqual([
      { token: 'Hi', logprob: -0.1, topLogprobs: [{ token: 'Hi', logprob: -0.1 }] },
    ]);
  });

  it('gathers the logprobs of a stream, chunk by chunk, into the completion', async () => {
    const rt = await start();
    const token = (t: string) => ({ content: [{ token: t, logprob: -0.5, top_logprobs: [] }] });
    replies.push(() => ({
      events: [
        { choices: [{ index: 0, delta: { content: 'Hi' }, logprobs: token('Hi') }] },
        {
          choices: [{ index: 0, delta: { content: ' you' }, logprobs: token(' you') }],
        },
        { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
        { choices: [], usage },
      ],
    }));
    const s = rt.stream('gpt', question, { logprobs: true });
    for await (const _ of s);
    const res = await s.completion;
    expect(bodies[0]).toMatchObject({ logprobs: true, stream: true });
    expect(res.logprobs?.map((t) => t.token)).toEqual(['Hi', ' you']);
    const again = await rt.request('gpt', question, { logprobs: true });
    expect(again.cacheHit).toBe(true);
    expect(again.logprobs?.map((t) => t.token)).toEqual(['Hi', ' you']);
  });

  it('streams reasoning apart from the text, and keeps the provider total', async () => {
    const rt = await start();
    replies.push(() => ({
      events: [
        { choices: [{ index: 0, delta: { reasoning_content: 'Think' } }] },
        { choices: [{ index: 0, delta: { reasoning: 'ing.' } }] },
        { choices: [{ index: 0, delta: { content: '42' }, finish_reason: 'stop' }] },
        {
          choices: [],
          usage: { ...usage, completion_tokens_details: { reasoning_tokens: 7 } },
        },
      ],
    }));
    const stream = rt.stream('gpt', question);
    const chunks = await collect(stream);
    const done = await stream.completion;
    expect(chunks).toEqual([
      { text: '', reasoning: 'Think' },
      { text: '', reasoning: 'ing.' },
      { text: '42' },
    ]);
    expect(done.reasoning).toBe('Thinking.');
    expect(done.text).toBe('42');
    expect(done.usage).toEqual({
      promptTokens: 20,
      completionTokens: 10,
      totalTokens: 31,
      reasoningTokens: 7,
    });
  });

  it('keeps streamed choices apart (n = 2), and caches each choice on its own', async () => {
    const rt = await start();
    const delta = (index: number, content: string, finish?: string) => ({
      choices: [{ index, delta: { content }, finish_reason: finish ?? null }],
    });
    replies.push(() => ({
      events: [
        delta(0, 'A'),
        delta(1, 'B'),
        delta(1, 'b', 'length'),
        delta(0, 'a', 'stop'),
        { choices: [], usage },
      ],
    }));
    const stream = rt.stream('gpt', question, { extra: { n: 2 } });
    const chunks = await collect(stream);
    const done = await stream.completion;
    expect(chunks).toEqual([
      { text: 'A', choice: 0 },
      { text: 'B', choice: 1 },
      { text: 'b', choice: 1 },
      { text: 'a', choice: 0 },
    ]);
    expect(done.text).toBe('Aa');
    expect(done.choices?.map((c) => [c.text, c.finishReason])).toEqual([
      ['Aa', 'stop'],
      ['Bb', 'length'],
    ]);
    const cached = await rt.request('gpt', question, { extra: { n: 2 } });
    expect(cached.cacheHit).toBe(true);
    expect(cached.text).toBe('Aa');
    expect(cached.choices?.[1]?.text).toBe('Bb');
  });

  it('does not retry an in-band 4xx error in a stream', async () => {
    const rt = await start();
    replies.push(() => ({
      events: [{ error: { message: 'Token limit reached', code: 400 } }],
      done: false,
    }));
    const error = await failure(rt.stream('gpt', question).completion);
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.status).toBe(400);
    expect(error.retryable).toBe(false);
    expect(bodies).toHaveLength(1);
  });
});

describe('the openai provider, structured output', () => {
  const schema = {
    type: 'object',
    properties: { city: { type: 'string' }, celsius: { type: 'number' } },
    required: ['city', 'celsius'],
  };

  it('sends a json_schema format and gives the parsed answer as completion.json', async () => {
    const rt = await start();
    replies.push(() => message({ content: '{"city":"Paris","celsius":21}' }));
    const res = await rt.request('gpt', question, {
      responseFormat: { type: 'json', schema, name: 'weather', strict: true },
    });
    expect(bodies[0]!.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'weather', schema, strict: true },
    });
    expect(res.json).toEqual({ city: 'Paris', celsius: 21 });
    const cached = await rt.request('gpt', question, {
      responseFormat: { type: 'json', schema, name: 'weather', strict: true },
    });
    expect(cached.cacheHit).toBe(true);
    expect(cached.json).toEqual({ city: 'Paris', celsius: 21 });
  });

  it('sends json_object without a schema, and parses a streamed answer', async () => {
    const rt = await start();
    replies.push(() => ({
      events: [
        { choices: [{ index: 0, delta: { content: '{"ok":' } }] },
        { choices: [{ index: 0, delta: { content: 'true}' }, finish_reason: 'stop' }] },
        { choices: [], usage },
      ],
    }));
    const stream = rt.stream('gpt', question, { responseFormat: { type: 'json' } });
    expect((await stream.completion).json).toEqual({ ok: true });
    expect(bodies[0]!.response_format).toEqual({ type: 'json_object' });
  });

  it('refuses an answer that does not match: BAD_RESPONSE naming it, not cached, fuse untouched', async () => {
    const rt = await start({ fuse: { maxFailures: 1, windowMs: 60_000 } } as Partial<ClientConfig>);
    replies.push(
      () => message({ content: '{"city":"Paris","celsius":"warm"}' }),
      () => message({ content: 'not json' }),
      () => message({ content: '{"city":"Paris","celsius":21}' }),
    );
    const options = { responseFormat: { type: 'json' as const, schema } };
    const mismatch = await failure(rt.request('gpt', question, options));
    expect(mismatch.code).toBe('BAD_RESPONSE');
    expect(mismatch.message).toContain('at /celsius: must be number');
    const notJson = await failure(rt.request('gpt', question, options));
    expect(notJson.code).toBe('BAD_RESPONSE');
    expect(notJson.message).toContain('is not JSON');
    expect(bodies).toHaveLength(2);
    expect(rt.health('gpt').fuse).toMatchObject({ state: 'closed', melts: 0 });
    const good = await rt.request('gpt', question, options);
    expect(good.cacheHit).toBe(false);
    expect(good.json).toEqual({ city: 'Paris', celsius: 21 });
  });

  it('refuses an invalid schema before any call, naming the field', async () => {
    const rt = await start();
    const error = await failure(
      rt.request('gpt', question, {
        responseFormat: { type: 'json', schema: { type: 'no-such-type' } },
      }),
    );
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('options.responseFormat.schema: not a valid JSON Schema');
    expect(bodies).toHaveLength(0);
  });
});
