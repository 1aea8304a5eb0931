/**
 * What the ollama provider sends of the whole chat: tools, tool calls with object arguments,
 * tool results with `tool_name`, base64 images, `format`, `think`; and what it refuses
 * (forced tools, logprobs, https images), naming the field, before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import type { ChatMessage, RequestOptions } from '../src/index.js';
import { startTestServer, type ScriptedAnswer } from '../src/testing/index.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

type Json = Record<string, unknown>;
const runtimes = runtimePerTest();

/** A runtime with one ollama client, its server recording every request body. */
async function setup(...answers: ScriptedAnswer[]) {
  const server = await startTestServer();
  const bodies: Json[] = [];
  server.setScript((req) => {
    bodies.push(req.body);
    return answers.shift();
  });
  const rt = await runtimes.start({
    clients: { local: { provider: 'ollama', baseUrl: server.origin, model: 'm', cache: false } },
  });
  return { server, rt, bodies };
}

const weather = {
  name: 'weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const question: ChatMessage[] = [{ role: 'user', content: 'Weather in Paris?' }];
const callWeather: ScriptedAnswer = {
  toolCalls: [{ name: 'weather', arguments: { city: 'Paris' } }],
};
const sunny: ScriptedAnswer = { text: 'Sunny in Paris.' };
const ollamaTool = {
  type: 'function',
  function: { name: 'weather', description: weather.description, parameters: weather.parameters },
};

/** The second request of a tool loop, as Ollama wants it. */
const secondMessages = [
  { role: 'user', content: 'Weather in Paris?' },
  {
    role: 'assistant',
    content: '',
    tool_calls: [{ function: { name: 'weather', arguments: { city: 'Paris' } } }],
  },
  { role: 'tool', content: '{"temp":21}', tool_name: 'weather' },
];

describe('ollama tool loop', () => {
  it('sends tools, the call with object arguments and the result with tool_name', async () => {
    const { rt, bodies } = await setup(callWeather, sunny);
    const first = await rt.request('local', question, { tools: [weather], toolChoice: 'auto' });
    expect(first.finishReason).toBe('tool_calls');
    const call = first.toolCalls![0]!;
    const messages: ChatMessage[] = [
      ...question,
      first.message,
      { role: 'tool', toolCallId: call.id, content: '{"temp":21}' },
    ];
    const second = await rt.request('local', messages, { tools: [weather] });
    expect(second.text).toBe('Sunny in Paris.');
    expect(bodies[0]).toMatchObject({ tools: [ollamaTool], messages: question });
    expect(bodies[0]).not.toHaveProperty('tool_choice');
    expect(bodies[1]!.messages).toEqual(secondMessages);
  });

  it('does the same streamed', async () => {
    const { rt, bodies } = await setup(callWeather, sunny);
    const stream = rt.stream('local', question, { tools: [weather] });
    for await (const chunk of stream) void chunk;
    const first = await stream.completion;
    expect(first.finishReason).toBe('tool_calls');
    const messages: ChatMessage[] = [
      ...question,
      first.message,
      { role: 'tool', toolCallId: first.toolCalls![0]!.id, content: '{"temp":21}' },
    ];
    const again = rt.stream('local', messages, { tools: [weather] });
    let text = '';
    for await (const chunk of again) text += chunk.text;
    expect(text).toBe('Sunny in Paris.');
    expect(bodies[0]).toMatchObject({ stream: true, tools: [ollamaTool] });
    expect(bodies[1]!.messages).toEqual(secondMessages);
  });

  it("sends no tools with toolChoice 'none', and omits tool_name when the call is unknown", async () => {
    const { rt, bodies } = await setup(sunny);
    await rt.request(
      'local',
      [...question, { role: 'tool', toolCallId: 'elsewhere', content: 'x' }],
      { tools: [weather], toolChoice: 'none' },
    );
    expect(bodies[0]).not.toHaveProperty('tools');
    expect((bodies[0]!.messages as Json[])[1]).toEqual({ role: 'tool', content: 'x' });
  });
});

describe('ollama chat options', () => {
  it('sends a data: image as base64 on its message, and developer as system', async () => {
    const { rt, bodies } = await setup(sunny);
    await rt.request('local', [
      { role: 'developer', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=' },
        ],
      },
    ]);
    expect(bodies[0]!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is this?', images: ['iVBORw0KGgo='] },
    ]);
  });

  it('sends a JSON format as the schema (or json) and reasoning as think, with its level', async () => {
    const schema = { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] };
    const { rt, bodies } = await setup({ json: { a: 1 } }, { json: { a: 2 } });
    const res = await rt.request('local', question, {
      responseFormat: { type: 'json', schema },
      reasoning: { effort: 'high' },
    });
    expect(res.json).toEqual({ a: 1 });
    await rt.request('local', question, { responseFormat: { type: 'json' } });
    await rt.request('local', question, { reasoning: {} });
    expect(bodies[0]).toMatchObject({ format: schema, think: 'high' });
    expect(bodies[1]).toMatchObject({ format: 'json' });
    expect(bodies[1]).not.toHaveProperty('think');
    expect(bodies[2]).toMatchObject({ think: true });
  });

  const refused: Array<[string, ChatMessage[], RequestOptions]> = [
    [
      'messages[0].content[1].url',
      [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', url: 'https://example.com/cat.png' },
          ],
        },
      ],
      {},
    ],
    ['options.toolChoice', question, { tools: [weather], toolChoice: 'required' }],
    ['options.toolChoice', question, { tools: [weather], toolChoice: { name: 'weather' } }],
    ['options.logprobs', question, { logprobs: true }],
    ['options.reasoning.budgetTokens', question, { reasoning: { budgetTokens: 1024 } }],
    ['options.tools[0].strict', question, { tools: [{ ...weather, strict: true }] }],
    ['options.parallelToolCalls', question, { tools: [weather], parallelToolCalls: false }],
  ];

  it.each(refused)('refuses %s before sending anything', async (field, messages, options) => {
    const { server, rt } = await setup();
    for (const call of [
      () => rt.request('local', messages, options),
      () => rt.stream('local', messages, options).completion,
    ]) {
      const error = await failure(call());
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.message).toContain(`${field}: the ollama provider cannot carry this`);
    }
    expect(server.requests).toBe(0);
  });
});
