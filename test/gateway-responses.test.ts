/**
 * `POST /v1/responses` on the wire: what it refuses (stateful fields, tools and fields it cannot
 * carry) and how it names the runtime's findings; the `x-llm-actors-*` headers and the cache
 * bypass; the streamed events with their `event:` lines (reasoning, text, function calls,
 * `response.incomplete`, a failure mid-stream); reasoning sent back with its signature.
 */
import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../src/index.js';
import type { ScriptedAnswer } from '../src/testing/index.js';
import { gatewayPerTest } from './support/gateway.js';

const gw = gatewayPerTest();

/** Bodies and events as parsed JSON: the tests read them field by field. */
type Json = Record<string, any>;

const weather = {
  type: 'function',
  name: 'weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } } },
};

/** A gateway over the testing server in `format` with one client, `gpt`; returns its URL. */
async function start(
  format: 'openai' | 'anthropic' = 'openai',
  client: Partial<ClientConfig> = { cache: false },
): Promise<string> {
  const upstream = await gw.startUpstream();
  const config = (
    format === 'openai'
      ? { provider: 'openai', baseUrl: upstream.url, model: 'm', ...client }
      : { provider: 'anthropic', baseUrl: upstream.origin, model: 'm', ...client }
  ) as ClientConfig;
  return (await gw.start({ gpt: config })).url;
}

async function post(url: string, body: Json, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt', ...body }),
  });
  const text = await res.text();
  return {
    status: res.status,
    client: res.headers.get('x-llm-actors-client'),
    cache: res.headers.get('x-llm-actors-cache'),
    text,
    json: () => JSON.parse(text) as Json,
    /** The SSE events, each `event:` line checked against its data's `type`. */
    events: () =>
      text
        .split('\n\n')
        .filter((e) => e !== '')
        .map((e) => {
          const [event, data] = e.split('\n') as [string, string];
          const parsed = JSON.parse(data.slice('data: '.length)) as Json;
          expect(event).toBe(`event: ${parsed.type as string}`);
          return parsed;
        }),
  };
}

describe('what /v1/responses refuses', () => {
  it('answers a 400 naming each field, stateful or not carried, and never calls upstream', async () => {
    const url = await start();
    const cases: Array<[Json, string, string]> = [
      [
        { previous_response_id: 'resp_1' },
        'previous_response_id',
        'stateful Responses are not supported',
      ],
      [{ store: true }, 'store', 'stateful Responses are not supported'],
      [{ background: true }, 'background', 'stateful Responses are not supported'],
      [{ conversation: 'conv_1' }, 'conversation', 'stateful Responses are not supported'],
      [{ max_tool_calls: 3 }, 'max_tool_calls', 'max_tool_calls: not carried'],
      [{ tools: [{ type: 'web_search' }] }, 'tools', '"web_search" tools are not carried'],
      [{ tools: [{ type: 'file_search', vector_store_ids: [] }] }, 'tools', '"file_search" tools'],
      [{ reasoning: { summary: 'brief' } }, 'reasoning', 'reasoning.summary: expected "auto"'],
      [{ text: { verbosity: 'low' } }, 'text', 'text.verbosity: not carried'],
      [{ include: ['file_search_call.results'] }, 'include', 'is not carried'],
      [
        { input: [{ role: 'user', content: [{ type: 'input_file', file_data: 'x' }] }] },
        'input',
        'input[0].content[0].type: "input_file" parts are not carried',
      ],
      [
        { input: [{ type: 'reasoning', summary: [{ type: 'summary_text', text: 'hm' }] }] },
        'input',
        'a summary is not carried',
      ],
      [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input', '"item_reference" items'],
    ];
    for (const [body, param, message] of cases) {
      const res = await post(url, { input: 'hi', ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json().error).toMatchObject({ param, code: 'INVALID_REQUEST' });
      expect(res.json().error.message).toContain(message);
      expect(res.client).toBe('gpt');
    }
    expect(gw.upstream!.requests).toBe(0);
    expect(
      (await post(url, { input: 'hi', store: false, metadata: { k: 'v' } })).json(),
    ).toMatchObject({
      status: 'completed',
      store: false,
      metadata: { k: 'v' },
    });
  });

  it('passes service_tier, prompt_cache_key and safety_identifier on to the provider', async () => {
    const url = await start();
    const sent = { service_tier: 'flex', prompt_cache_key: 'k1', safety_identifier: 'u-9' };
    expect((await post(url, { input: 'hi', ...sent })).status).toBe(200);
    expect(gw.upstream!.lastRequest()!.body).toMatchObject(sent);
  });

  it("names the runtime's findings as the body has them", async () => {
    const url = await start();
    const image = (url: string) => [
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'x' },
          { type: 'input_image', image_url: url, detail: 'auto' },
        ],
      },
    ];
    const cases: Array<[Json, string, string]> = [
      [{ max_output_tokens: 0 }, 'max_output_tokens', 'max_output_tokens: must be between 1'],
      [{ temperature: 5 }, 'temperature', 'temperature: must be between 0 and 2'],
      [{ tools: [{ ...weather, name: 'bad name' }] }, 'tools', 'tools[0].name: expected'],
      [
        { tool_choice: 'any' },
        'tool_choice',
        "tool_choice: expected 'auto', 'none', 'required' or { type: 'function', name }",
      ],
      [
        { parallel_tool_calls: 'no' },
        'parallel_tool_calls',
        'parallel_tool_calls: expected a boolean',
      ],
      [{ reasoning: { effort: 'extreme' } }, 'reasoning', 'reasoning.effort: expected'],
      [
        { text: { format: { type: 'json_schema', name: 'w', schema: { type: 12 } } } },
        'text',
        'text.format.schema: not a valid JSON Schema',
      ],
      [
        { instructions: 'Be brief.', input: image('http://example.com/cat.png') },
        'input',
        'input[0].content[1].image_url: expected an https URL',
      ],
    ];
    for (const [body, param, message] of cases) {
      const res = await post(url, { input: 'hi', ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json().error.message).toContain(message);
      expect(res.json().error.param).toBe(param);
    }
  });
});

describe('headers and the cache', () => {
  it('says which client answered and whether from its cache, plain and streamed; Cache-Control bypasses', async () => {
    const url = await start('openai', {});
    gw.upstream!.setScript(() => ({ text: 'once' }));
    expect(await post(url, { input: 'hi' })).toMatchObject({ client: 'gpt', cache: 'miss' });
    expect(await post(url, { input: 'hi' })).toMatchObject({ client: 'gpt', cache: 'hit' });
    const streamed = await post(url, { input: 'hi', stream: true });
    expect(streamed).toMatchObject({ client: 'gpt', cache: 'hit' });
    expect(streamed.events().at(-1)!.response.output[0].content[0].text).toBe('once');
    const bypass = await post(url, { input: 'hi' }, { 'cache-control': 'no-store' });
    expect(bypass).toMatchObject({ client: 'gpt', cache: 'miss' });
    expect(gw.upstream!.requests).toBe(2);
  });

  it('puts x-llm-actors-client on errors of a known client, plain and before a stream starts', async () => {
    const url = await start();
    gw.upstream!.inject({ kind: 'status', status: 422 });
    for (const path of ['/v1/responses', '/v1/chat/completions']) {
      for (const stream of [false, true]) {
        const res = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'gpt',
            stream,
            ...(path === '/v1/responses'
              ? { input: 'hi' }
              : { messages: [{ role: 'user', content: 'hi' }] }),
          }),
        });
        expect(res.status).toBe(422);
        expect(res.headers.get('x-llm-actors-client')).toBe('gpt');
      }
    }
    const unknown = await post(url, { model: 'nobody', input: 'hi' });
    expect(unknown.status).toBe(404);
    expect(unknown.client).toBeNull();
  });
});

describe('streamed events', () => {
  const answer: ScriptedAnswer = {
    reasoning: 'I should look it up.',
    reasoningSignature: 'c2lnbmVk',
    text: 'Looking.',
    toolCalls: [{ id: 'toolu_1', name: 'weather', arguments: { city: 'Paris' } }],
  };

  it('streams reasoning, text and a function call, and reasoning goes back with its signature', async () => {
    const url = await start('anthropic');
    gw.upstream!.setScript((req) =>
      req.messages.at(-1)?.role === 'tool' ? { text: 'Sunny.' } : answer,
    );
    const res = await post(url, { input: 'Weather?', tools: [weather], stream: true });
    const events = res.events();
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = new Set(events.map((e) => e.type));
    for (const type of [
      'response.reasoning_text.delta',
      'response.reasoning_text.done',
      'response.output_text.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
    ]) {
      expect(types).toContain(type);
    }
    const reasoning = events
      .filter((e) => e.type === 'response.reasoning_text.delta')
      .map((e) => e.delta)
      .join('');
    expect(reasoning).toBe('I should look it up.');
    const done = events.at(-1)!;
    expect(done.type).toBe('response.completed');
    const output = done.response.output as Json[];
    expect(output.map((item) => item.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(output[2]).toMatchObject({ call_id: 'toolu_1', name: 'weather', status: 'completed' });
    expect(done.response.usage.output_tokens).toBeGreaterThan(0);

    const next = await post(url, {
      input: [
        'Weather?',
        ...output,
        { type: 'function_call_output', call_id: 'toolu_1', output: '22' },
      ].map((item) => (typeof item === 'string' ? { role: 'user', content: item } : item)),
      tools: [weather],
    });
    expect(next.json().output[0].content[0].text).toBe('Sunny.');
    const assistant = (gw.upstream!.lastRequest()!.body.messages as Json[])[1]!;
    expect(assistant.content[0]).toEqual({
      type: 'thinking',
      thinking: 'I should look it up.',
      signature: 'c2lnbmVk',
    });
  });

  it('streams redacted thinking as a reasoning item whose encrypted content goes back as it came', async () => {
    const url = await start('anthropic');
    gw.upstream!.setScript((req) =>
      req.messages.at(-1)?.role === 'tool'
        ? { text: 'Sunny.' }
        : {
            redactedReasoning: 'opaque==',
            toolCalls: [{ id: 'toolu_9', name: 'weather', arguments: {} }],
          },
    );
    const res = await post(url, { input: 'Weather?', tools: [weather], stream: true });
    const output = res.events().at(-1)!.response.output as Json[];
    const reasoning = output.find((item) => item.type === 'reasoning')!;
    expect(typeof reasoning.encrypted_content).toBe('string');
    await post(url, {
      input: [
        { role: 'user', content: 'Weather?' },
        ...output,
        { type: 'function_call_output', call_id: 'toolu_9', output: '22' },
      ],
      tools: [weather],
    });
    const assistant = (gw.upstream!.lastRequest()!.body.messages as Json[])[1]!;
    expect(assistant.content[0]).toEqual({ type: 'redacted_thinking', data: 'opaque==' });
  });

  it('ends an answer cut by max_output_tokens as incomplete, plain and streamed', async () => {
    const url = await start();
    gw.upstream!.setScript(() => ({ text: 'a long answer', finishReason: 'length' }));
    const plain = (await post(url, { input: 'hi', max_output_tokens: 3 })).json();
    expect(plain).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
    });
    const events = (await post(url, { input: 'hi', max_output_tokens: 3, stream: true })).events();
    expect(events.at(-1)).toMatchObject({
      type: 'response.incomplete',
      response: { status: 'incomplete' },
    });
  });

  it('ends a stream that fails midway with an error event and response.failed', async () => {
    const url = await start();
    gw.upstream!.setScript(() => ({ text: 'several words come before the failure' }));
    gw.upstream!.inject({ kind: 'stream_error', afterDeltas: 2 });
    const res = await post(url, { input: 'hi', stream: true });
    expect(res.status).toBe(200);
    const events = res.events();
    expect(events.at(-2)).toMatchObject({ type: 'error' });
    expect(events.at(-1)).toMatchObject({
      type: 'response.failed',
      response: { status: 'failed' },
    });
  });
});
