/**
 * The whole chat through the AI SDK adapter: tool loops, streamed tool input, JSON output,
 * images and reasoning, driven by `ai` 6 (and `ai` 7 where noted) against the testing server
 * in the openai and anthropic wire formats.
 */
import { UnsupportedFunctionalityError } from '@ai-sdk/provider';
import { generateObject, generateText, Output, stepCountIs, streamText, tool } from 'ai';
import * as ai7 from 'ai-v7';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLanguageModel } from '../src/adapters/ai-sdk/index.js';
import type { ClientConfig, Runtime } from '../src/index.js';
import { startTestServer, type ScriptedAnswer, type TestServer } from '../src/testing/index.js';
import { runtimePerTest } from './support/runtime.js';

let server: TestServer;

const runtimes = runtimePerTest(() => server.close());

type Format = 'openai' | 'anthropic';

function start(format: Format = 'openai'): Promise<Runtime> {
  const config: ClientConfig =
    format === 'openai'
      ? { provider: 'openai', baseUrl: server.url, model: 'gpt-test' }
      : { provider: 'anthropic', baseUrl: server.origin, model: 'claude-test', apiKey: 'k' };
  return runtimes.start({ clients: { m: { ...config, retry: false } } });
}

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: ({ city }) => Promise.resolve({ city, sky: 'sunny' }),
});

/** The model calls the weather tool, then answers from what the tool said. */
function toolLoop(first: ScriptedAnswer = {}): void {
  server.setScript((req) =>
    req.messages.at(-1)?.role === 'tool'
      ? { text: `It is ${JSON.parse(req.messages.at(-1)!.content).sky}.` }
      : { toolCalls: [{ id: 'call_w', name: 'weather', arguments: { city: 'Oslo' } }], ...first },
  );
}

(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

beforeEach(async () => {
  server = await startTestServer();
});

describe.each<Format>(['openai', 'anthropic'])('a tool loop over the %s wire format', (format) => {
  it('calls the tool, sends its result back and ends with the answer', async () => {
    toolLoop();
    const rt = await start(format);
    const result = await generateText({
      model: createLanguageModel(rt, 'm'),
      tools: { weather },
      stopWhen: stepCountIs(3),
      prompt: 'Weather in Oslo?',
    });
    expect(result.text).toBe('It is sunny.');
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]!.finishReason).toBe('tool-calls');
    expect(result.steps[0]!.toolCalls).toMatchObject([
      { toolCallId: 'call_w', toolName: 'weather', input: { city: 'Oslo' } },
    ]);
    const second = server.lastRequest()!;
    expect(second.tools).toEqual([
      {
        name: 'weather',
        description: 'The weather in a city',
        parameters: expect.objectContaining({ properties: { city: { type: 'string' } } }),
      },
    ]);
    expect(second.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'call_w', name: 'weather', arguments: '{"city":"Oslo"}' }],
      },
      { role: 'tool', toolCallId: 'call_w', content: '{"city":"Oslo","sky":"sunny"}' },
    ]);
  });

  it('streams the tool input, runs the tool and streams the answer', async () => {
    toolLoop();
    const rt = await start(format);
    const result = streamText({
      model: createLanguageModel(rt, 'm'),
      tools: { weather },
      stopWhen: stepCountIs(3),
      prompt: 'Weather in Oslo?',
    });
    const kinds: string[] = [];
    let input = '';
    for await (const part of result.fullStream) {
      kinds.push(part.type);
      if (part.type === 'tool-input-delta') input += part.delta;
    }
    expect(JSON.parse(input)).toEqual({ city: 'Oslo' });
    expect(kinds).toEqual(
      expect.arrayContaining([
        'tool-input-start',
        'tool-input-end',
        'tool-call',
        'tool-result',
        'text-delta',
      ]),
    );
    expect(kinds.indexOf('tool-input-end')).toBeLessThan(kinds.indexOf('tool-call'));
    expect(await result.text).toBe('It is sunny.');
    expect(server.lastRequest()!.messages.at(-1)).toEqual({
      role: 'tool',
      toolCallId: 'call_w',
      content: '{"city":"Oslo","sky":"sunny"}',
    });
    expect(server.streams).toBe(2);
  });
});

describe('tool calls from the cache', () => {
  it('replays a cached tool call as streamed tool input and a tool-call part', async () => {
    server.setScript(() => ({
      toolCalls: [{ id: 'call_c', name: 'weather', arguments: { city: 'Bern' } }],
    }));
    const rt = await start();
    const model = createLanguageModel(rt, 'm');
    const call = () => streamText({ model, tools: { weather }, prompt: 'Weather?' });
    expect((await call().toolCalls).map((c) => c.toolCallId)).toEqual(['call_c']);
    const replay = call();
    const kinds: string[] = [];
    for await (const part of replay.fullStream) kinds.push(part.type);
    expect(kinds).toEqual(
      expect.arrayContaining(['tool-input-start', 'tool-input-end', 'tool-call']),
    );
    expect((await replay.providerMetadata)?.['llm-actors']?.cacheHit).toBe(true);
    expect(server.requests).toBe(1);
  });
});

describe('tool options', () => {
  it('maps toolChoice and rejects provider-defined tools', async () => {
    server.setScript(() => ({ toolCalls: [{ name: 'weather', arguments: { city: 'Rome' } }] }));
    const rt = await start();
    const model = createLanguageModel(rt, 'm');
    const result = await generateText({
      model,
      tools: { weather },
      toolChoice: { type: 'tool', toolName: 'weather' },
      prompt: 'Rome?',
    });
    expect(server.lastRequest()!.toolChoice).toEqual({
      type: 'function',
      function: { name: 'weather' },
    });
    expect(result.toolResults[0]!.output).toEqual({ city: 'Rome', sky: 'sunny' });
    const provider = await model
      .doGenerate({
        prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
        tools: [{ type: 'provider', id: 'openai.web_search', name: 'web_search', args: {} }],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(UnsupportedFunctionalityError.isInstance(provider)).toBe(true);
    expect((provider as Error).message).toContain('openai.web_search');
  });

  it('works the same with ai 7', async () => {
    toolLoop();
    const rt = await start('anthropic');
    const result = await ai7.generateText({
      model: createLanguageModel(rt, 'm'),
      tools: {
        weather: ai7.tool({
          inputSchema: z.object({ city: z.string() }),
          execute: ({ city }) => Promise.resolve({ city, sky: 'sunny' }),
        }),
      },
      stopWhen: ai7.stepCountIs(3),
      prompt: 'Weather in Oslo?',
    });
    expect(result.text).toBe('It is sunny.');
    expect(server.lastRequest()!.messages.at(-1)).toMatchObject({ toolCallId: 'call_w' });
  });
});

describe('structured output', () => {
  const recipe = z.object({ name: z.string(), minutes: z.number() });

  it.each<Format>(['openai', 'anthropic'])(
    'gives generateObject a schema-valid object over the %s wire format',
    async (format) => {
      server.setScript(() => ({ json: { name: 'soup', minutes: 20 } }));
      const rt = await start(format);
      const { object } = await generateObject({
        model: createLanguageModel(rt, 'm'),
        schema: recipe,
        schemaName: 'recipe',
        prompt: 'A recipe',
      });
      expect(object).toEqual({ name: 'soup', minutes: 20 });
      const sent = server.lastRequest()!;
      if (format === 'openai') {
        expect(sent.responseFormat).toMatchObject({
          type: 'json_schema',
          json_schema: { name: 'recipe', schema: { required: ['name', 'minutes'] } },
        });
      } else {
        expect(sent.toolChoice).toEqual({ type: 'tool', name: 'json_answer' });
      }
    },
  );

  it('gives generateText an Output.object through the same JSON format', async () => {
    server.setScript(() => ({ json: { name: 'tea', minutes: 3 } }));
    const rt = await start();
    const { output } = await generateText({
      model: createLanguageModel(rt, 'm'),
      output: Output.object({ schema: recipe }),
      prompt: 'A recipe',
    });
    expect(output).toEqual({ name: 'tea', minutes: 3 });
    expect(server.lastRequest()!.responseFormat).toMatchObject({ type: 'json_schema' });
  });

  it('fails generateObject with a non-retryable error when the answer breaks the schema', async () => {
    server.setScript(() => ({ json: { name: 'soup' } }));
    const rt = await start();
    const failure = await generateObject({
      model: createLanguageModel(rt, 'm'),
      schema: recipe,
      prompt: 'A recipe',
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ isRetryable: false, data: { code: 'BAD_RESPONSE' } });
    expect(server.requests).toBe(1);
  });
});

describe('images', () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  const base64 = Buffer.from(png).toString('base64');

  it('sends image bytes as an image_url data URL to openai', async () => {
    const rt = await start();
    await generateText({
      model: createLanguageModel(rt, 'm'),
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', image: png, mediaType: 'image/png' },
            { type: 'image', image: new URL('https://example.com/cat.jpg') },
          ],
        },
      ],
    });
    expect(server.lastRequest()!.body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${base64}` } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
  });

  it('sends a base64 image as an anthropic image block', async () => {
    const rt = await start('anthropic');
    await generateText({
      model: createLanguageModel(rt, 'm'),
      messages: [
        {
          role: 'user',
          content: [{ type: 'file', data: base64, mediaType: 'image/png' }],
        },
      ],
    });
    expect(server.lastRequest()!.body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: base64 } },
        ],
      },
    ]);
  });

  it('rejects a file that is not an image before any upstream call', async () => {
    const rt = await start();
    const failure = await createLanguageModel(rt, 'm')
      .doGenerate({
        prompt: [
          {
            role: 'user',
            content: [{ type: 'file', data: 'JVBERg==', mediaType: 'application/pdf' }],
          },
        ],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(UnsupportedFunctionalityError.isInstance(failure)).toBe(true);
    expect(server.requests).toBe(0);
  });
});

describe('reasoning', () => {
  const THOUGHT = 'The user greets me, so I greet back.';

  it('reports reasoning and usage details of an openai answer', async () => {
    server.setScript(() => ({
      text: 'Hello!',
      reasoning: THOUGHT,
      usage: { promptTokens: 10, cachedPromptTokens: 4, reasoningTokens: 8, completionTokens: 9 },
    }));
    const rt = await start();
    const result = await generateText({ model: createLanguageModel(rt, 'm'), prompt: 'Hi' });
    expect(result.text).toBe('Hello!');
    expect(result.reasoningText).toBe(THOUGHT);
    expect(result.usage).toMatchObject({
      inputTokens: 10,
      outputTokens: 9,
      inputTokenDetails: { cacheReadTokens: 4, noCacheTokens: 6 },
      outputTokenDetails: { reasoningTokens: 8, textTokens: 1 },
    });
  });

  it("sends ai 7's reasoning setting as a reasoning effort", async () => {
    const rt = await start();
    await ai7.generateText({
      model: createLanguageModel(rt, 'm'),
      prompt: 'Hi',
      reasoning: 'xhigh',
    });
    expect(server.lastRequest()!.body.reasoning_effort).toBe('high');
  });

  it('streams reasoning deltas before the text', async () => {
    server.setScript(() => ({ text: 'Hello!', reasoning: THOUGHT }));
    const rt = await start();
    const result = streamText({ model: createLanguageModel(rt, 'm'), prompt: 'Hi' });
    const kinds: string[] = [];
    for await (const part of result.fullStream) kinds.push(part.type);
    expect(kinds.indexOf('reasoning-delta')).toBeLessThan(kinds.indexOf('text-delta'));
    expect(await result.reasoningText).toBe(THOUGHT);
    expect(await result.text).toBe('Hello!');
  });

  it.each([false, true])(
    'sends signed anthropic thinking back as it came in a tool loop (streamed: %s)',
    async (streamed) => {
      toolLoop({ reasoning: THOUGHT, reasoningSignature: 'c2ln', redactedReasoning: 'b3Bx' });
      const rt = await start('anthropic');
      const options = {
        model: createLanguageModel(rt, 'm'),
        tools: { weather },
        stopWhen: stepCountIs(3),
        prompt: 'Weather in Oslo?',
        providerOptions: { 'llm-actors': { reasoning: { budgetTokens: 1024 } } },
      };
      const text = streamed ? await streamText(options).text : (await generateText(options)).text;
      expect(text).toBe('It is sunny.');
      const assistant = (server.lastRequest()!.body.messages as Array<Record<string, unknown>>)[1];
      expect(assistant).toEqual({
        role: 'assistant',
        content: [
          { type: 'redacted_thinking', data: 'b3Bx' },
          { type: 'thinking', thinking: THOUGHT, signature: 'c2ln' },
          { type: 'tool_use', id: 'call_w', name: 'weather', input: { city: 'Oslo' } },
        ],
      });
      expect(server.lastRequest()!.body.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    },
  );
});
