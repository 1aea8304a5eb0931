/**
 * The whole chat over the Anthropic Messages format, plain and streamed, against the testing
 * server: tools and a full tool loop with thinking blocks sent back with their signatures,
 * images, JSON through a forced tool, cache read / creation tokens, and what stays refused.
 */
import { describe, expect, it } from 'vitest';
import type {
  ChatMessage,
  ClientConfig,
  Completion,
  RequestOptions,
  Runtime,
  StreamChunk,
} from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

let server: TestServer | undefined;
const runtimes = runtimePerTest(async () => {
  await server?.close();
  server = undefined;
});

async function start(extra: Partial<ClientConfig> = {}): Promise<Runtime> {
  server = await startTestServer();
  return runtimes.start({
    clients: {
      claude: {
        provider: 'anthropic',
        model: 'claude-test',
        baseUrl: server.origin,
        apiKey: 'k',
        ...extra,
      } as ClientConfig,
    },
  });
}

type Json = Record<string, unknown>;
const body = (): Json => server!.lastRequest()!.body as Json;

const weather = {
  name: 'weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const question: ChatMessage[] = [{ role: 'user', content: 'Weather in Paris and Rome?' }];

async function ask(rt: Runtime, streamed: boolean, messages: ChatMessage[], options = {}) {
  if (!streamed) return { completion: await rt.request('claude', messages, options), chunks: [] };
  const stream = rt.stream('claude', messages, options);
  const chunks: StreamChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { completion: await stream.completion, chunks };
}

describe.each([false, true])('the anthropic provider (streamed: %s)', (streamed) => {
  it('runs a tool loop, sending thinking back with its signature and both results in one turn', async () => {
    const rt = await start();
    server!.enqueue(
      {
        reasoning: 'Two cities, two calls.',
        reasoningSignature: 'sig-abc',
        redactedReasoning: 'opaque==',
        toolCalls: [
          { id: 'toolu_1', name: 'weather', arguments: { city: 'Paris' } },
          { id: 'toolu_2', name: 'weather', arguments: { city: 'Rome' } },
        ],
      },
      { text: 'Sunny in both.' },
    );
    const options = {
      tools: [weather],
      toolChoice: 'auto' as const,
      reasoning: { budgetTokens: 2000 },
    };
    const { completion: first, chunks } = await ask(rt, streamed, question, options);
    const sent = body();
    expect(sent.tools).toEqual([
      { name: 'weather', description: weather.description, input_schema: weather.parameters },
    ]);
    expect(sent.tool_choice).toEqual({ type: 'auto' });
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 2000 });
    expect(sent.max_tokens).toBe(3024);
    expect(first.finishReason).toBe('tool_calls');
    expect(first.reasoning).toBe('Two cities, two calls.');
    expect(first.toolCalls).toEqual([
      { id: 'toolu_1', name: 'weather', arguments: '{"city":"Paris"}' },
      { id: 'toolu_2', name: 'weather', arguments: '{"city":"Rome"}' },
    ]);
    expect(first.message).toEqual({
      role: 'assistant',
      content: null,
      toolCalls: first.toolCalls,
      reasoning: [
        { type: 'redacted-reasoning', data: 'opaque==' },
        { type: 'reasoning', text: 'Two cities, two calls.', signature: 'sig-abc' },
      ],
    });
    if (streamed) {
      expect(chunks.map((c) => c.reasoning ?? '').join('')).toBe('Two cities, two calls.');
      const calls = chunks.filter((c) => c.toolCall !== undefined).map((c) => c.toolCall!);
      expect(calls[0]).toMatchObject({ index: 0, id: 'toolu_1', name: 'weather' });
      expect(
        calls
          .filter((c) => c.index === 1)
          .map((c) => c.arguments)
          .join(''),
      ).toBe('{"city":"Rome"}');
    }

    const history: ChatMessage[] = [
      ...question,
      first.message,
      { role: 'tool', toolCallId: 'toolu_1', content: 'sunny, 24°C' },
      { role: 'tool', toolCallId: 'toolu_2', content: 'sunny, 27°C' },
    ];
    const { completion: last } = await ask(rt, streamed, history, options);
    expect(last.text).toBe('Sunny in both.');
    expect(last.finishReason).toBe('stop');
    expect(body().messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'redacted_thinking', data: 'opaque==' },
          { type: 'thinking', thinking: 'Two cities, two calls.', signature: 'sig-abc' },
          { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny, 24°C' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'sunny, 27°C' },
        ],
      },
    ]);
  });

  it('sends images in Anthropic’s shape and folds developer turns into system', async () => {
    const rt = await start();
    server!.enqueue({ text: 'A cat.' });
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: [{ type: 'text', text: 'Name animals.' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=' },
          { type: 'image', url: 'https://example.com/cat.jpg' },
        ],
      },
    ];
    const { completion } = await ask(rt, streamed, messages);
    expect(completion.text).toBe('A cat.');
    expect(body().system).toBe('Be brief.\n\nName animals.');
    expect(body().messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          {
            type: 'image',
            source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
          },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
  });

  it('answers JSON through a forced tool', async () => {
    const rt = await start();
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    server!.enqueue({ toolCalls: [{ name: 'json_answer', arguments: { city: 'Paris' } }] });
    const { completion, chunks } = await ask(rt, streamed, question, {
      responseFormat: { type: 'json', schema },
    });
    expect(body().tools).toEqual([
      { name: 'json_answer', description: expect.any(String), input_schema: schema },
    ]);
    expect(body().tool_choice).toEqual({ type: 'tool', name: 'json_answer' });
    expect(completion.json).toEqual({ city: 'Paris' });
    expect(completion.text).toBe('{"city":"Paris"}');
    expect(completion.finishReason).toBe('stop');
    expect(completion.toolCalls).toBeUndefined();
    if (streamed) expect(chunks.map((c) => c.text).join('')).toBe('{"city":"Paris"}');
  });

  it('reads cache read and creation tokens', async () => {
    const rt = await start();
    server!.enqueue({
      text: 'ok',
      usage: {
        promptTokens: 100,
        completionTokens: 3,
        cachedPromptTokens: 60,
        cacheWriteTokens: 30,
      },
    });
    const { completion } = await ask(rt, streamed, question);
    expect(completion.usage).toEqual({
      promptTokens: 100,
      completionTokens: 3,
      totalTokens: 103,
      cachedPromptTokens: 60,
      cacheWriteTokens: 30,
    });
  });
});

describe('the anthropic provider, cached tool calls', () => {
  it('keys the cache by the tools and replays calls and signed thinking, plain and streamed', async () => {
    const rt = await start();
    server!.enqueue(
      {
        reasoning: 'Call it.',
        reasoningSignature: 'sig-9',
        toolCalls: [{ id: 'toolu_9', name: 'weather', arguments: { city: 'Oslo' } }],
      },
      { text: 'no tools' },
    );
    const first = await rt.request('claude', question, { tools: [weather] });
    const other = await rt.request('claude', question, {
      tools: [{ ...weather, description: 'Another' }],
    });
    expect(other.cacheHit).toBe(false);
    expect(other.text).toBe('no tools');
    const stream = rt.stream('claude', question, { tools: [weather] });
    const chunks: StreamChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const again = await stream.completion;
    expect(again.cacheHit).toBe(true);
    expect(again.toolCalls).toEqual(first.toolCalls);
    expect(again.message).toEqual(first.message);
    expect(again.message.reasoning).toEqual([
      { type: 'reasoning', text: 'Call it.', signature: 'sig-9' },
    ]);
    expect(chunks.find((c) => c.toolCall)?.toolCall).toMatchObject({ id: 'toolu_9' });
    expect(server!.requests).toBe(2);
  });
});

describe('the anthropic provider, tool choice', () => {
  it.each<[string, RequestOptions, Json]>([
    ['auto', { toolChoice: 'auto' }, { type: 'auto' }],
    ['none', { toolChoice: 'none' }, { type: 'none' }],
    ['required', { toolChoice: 'required' }, { type: 'any' }],
    ['a named tool', { toolChoice: { name: 'weather' } }, { type: 'tool', name: 'weather' }],
    [
      'no parallel calls',
      { parallelToolCalls: false },
      { type: 'auto', disable_parallel_tool_use: true },
    ],
  ])('sends %s as Anthropic’s tool_choice', async (_, options, choice) => {
    const rt = await start();
    await rt.request('claude', question, { tools: [weather], ...options });
    expect(body().tool_choice).toEqual(choice);
  });
});

describe('the anthropic provider, what it cannot carry', () => {
  it('refuses logprobs and JSON while thinking, naming the field', async () => {
    const rt = await start();
    const logprobs = await failure(rt.request('claude', question, { logprobs: true }));
    expect(logprobs.code).toBe('INVALID_REQUEST');
    expect(logprobs.message).toContain('options.logprobs: the anthropic provider cannot carry');
    const json = await failure(
      rt.request('claude', question, {
        responseFormat: { type: 'json' },
        reasoning: { budgetTokens: 2000 },
      }),
    );
    expect(json.message).toContain('options.responseFormat: the anthropic provider cannot carry');
    const orphan = await failure(
      rt.request('claude', [...question, { role: 'tool', content: 'x' } as ChatMessage]),
    );
    expect(orphan.message).toContain('messages[1].toolCallId: the anthropic provider needs it');
    expect(server!.requests).toBe(0);
  });

  it.each([
    ['low', 1024],
    ['medium', 2048],
    ['high', 4096],
  ] as const)('sends reasoning effort %s as a thinking budget of %i', async (effort, budget) => {
    const rt = await start();
    await rt.request('claude', question, { reasoning: { effort } });
    expect(body().thinking).toEqual({ type: 'enabled', budget_tokens: budget });
    expect(body().max_tokens).toBeGreaterThan(budget);
  });

  it('replays a cached answer’s thinking with its signature', async () => {
    const rt = await start();
    server!.enqueue({ reasoning: 'hmm', reasoningSignature: 'sig-1', text: 'hi' });
    const first: Completion = await rt.request('claude', question);
    const again = await rt.request('claude', question);
    expect(again.cacheHit).toBe(true);
    expect(again.message).toEqual(first.message);
    expect(again.message.reasoning).toEqual([
      { type: 'reasoning', text: 'hmm', signature: 'sig-1' },
    ]);
  });
});
