/**
 * The wire formats checked against the official clients: the openai, @anthropic-ai/sdk and
 * ollama packages, pointed at the testing server, must read the same text, finish reason and
 * usage that llm-actors reads — plain and streamed.
 */
import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Completion, type Runtime } from '../src/index.js';
import { anthropicFinishReason } from '../src/providers/anthropic.js';
import { ollamaFinishReason } from '../src/providers/ollama.js';
import { openaiFinishReason } from '../src/providers/openai.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';

const KEY = 'sk-compat-test';
const messages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Say something about naïve café owners ✓ and 日本' },
];
/** Long enough to be cut by the word limit: finish reason length. */
const LIMIT = 4;

let server: TestServer;
let runtime: Runtime;

beforeAll(async () => {
  server = await startTestServer({ apiKey: KEY, splitBytes: 3 });
  runtime = await createRuntime({
    clients: {
      openai: { provider: 'openai', baseUrl: server.url, model: 'm', apiKey: KEY, cache: false },
      anthropic: {
        provider: 'anthropic',
        baseUrl: server.origin,
        model: 'm',
        apiKey: KEY,
        cache: false,
      },
      ollama: { provider: 'ollama', baseUrl: server.origin, model: 'm', apiKey: KEY, cache: false },
    },
    logger: false,
  });
});

afterAll(async () => {
  await runtime.stop();
  await server.close();
});

async function ours(client: string, maxTokens?: number): Promise<[Completion, Completion]> {
  const plain = await runtime.request(client, messages, { maxTokens });
  const s = runtime.stream(client, messages, { maxTokens });
  let streamed = '';
  for await (const chunk of s) streamed += chunk.text;
  const completion = await s.completion;
  expect(streamed).toBe(completion.text);
  return [plain, completion];
}

describe.each([undefined, LIMIT])('with maxTokens %s', (maxTokens) => {
  it('reads OpenAI answers as the openai SDK does', async () => {
    const sdk = new OpenAI({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
    const params = { model: 'm', messages, ...(maxTokens ? { max_tokens: maxTokens } : {}) };
    const answer = await sdk.chat.completions.create(params);
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    const stream = await sdk.chat.completions.create({
      ...params,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    const [plain, streamed] = await ours('openai', maxTokens);
    for (const c of [plain, streamed]) {
      expect(c.text).toBe(answer.choices[0]!.message.content);
      expect(c.text).toBe(text);
      expect(c.finishReason).toBe(openaiFinishReason(answer.choices[0]!.finish_reason));
      expect(c.finishReason).toBe(openaiFinishReason(finish));
      expect(c.usage).toEqual({
        promptTokens: answer.usage!.prompt_tokens,
        completionTokens: answer.usage!.completion_tokens,
        totalTokens: answer.usage!.total_tokens,
      });
      expect(usage!.total_tokens).toBe(c.usage.totalTokens);
    }
    expect(plain.finishReason).toBe(maxTokens ? 'length' : 'stop');
  });

  it('reads Anthropic answers as the @anthropic-ai/sdk does', async () => {
    const sdk = new Anthropic({ apiKey: KEY, baseURL: server.origin, maxRetries: 0 });
    const params = {
      model: 'm',
      max_tokens: maxTokens ?? 1024,
      system: messages[0].content,
      messages: [messages[1]],
    };
    const answer = await sdk.messages.create(params);
    const final = await sdk.messages.stream(params).finalMessage();
    const text = (m: Anthropic.Message) =>
      m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    const [plain, streamed] = await ours('anthropic', maxTokens);
    for (const c of [plain, streamed]) {
      expect(c.text).toBe(text(answer));
      expect(c.text).toBe(text(final));
      expect(c.finishReason).toBe(anthropicFinishReason(answer.stop_reason));
      expect(c.finishReason).toBe(anthropicFinishReason(final.stop_reason));
      expect(c.usage.promptTokens).toBe(answer.usage.input_tokens);
      expect(c.usage.completionTokens).toBe(answer.usage.output_tokens);
      expect(c.usage.completionTokens).toBe(final.usage.output_tokens);
    }
    expect(plain.finishReason).toBe(maxTokens ? 'length' : 'stop');
  });

  it('reads Ollama answers as the ollama client does', async () => {
    const sdk = new Ollama({ host: server.origin, headers: { authorization: `Bearer ${KEY}` } });
    const params = {
      model: 'm',
      messages,
      ...(maxTokens ? { options: { num_predict: maxTokens } } : {}),
    };
    const answer = await sdk.chat({ ...params, stream: false });
    let text = '';
    let last: Awaited<ReturnType<typeof sdk.chat>> | undefined;
    for await (const part of await sdk.chat({ ...params, stream: true })) {
      text += part.message.content;
      last = part;
    }
    const [plain, streamed] = await ours('ollama', maxTokens);
    for (const c of [plain, streamed]) {
      expect(c.text).toBe(answer.message.content);
      expect(c.text).toBe(text);
      expect(c.finishReason).toBe(ollamaFinishReason(answer.done_reason));
      expect(c.finishReason).toBe(ollamaFinishReason(last!.done_reason));
      expect(c.usage.promptTokens).toBe(answer.prompt_eval_count);
      expect(c.usage.completionTokens).toBe(answer.eval_count);
      expect(c.usage.completionTokens).toBe(last!.eval_count);
    }
    expect(plain.finishReason).toBe(maxTokens ? 'length' : 'stop');
  });
});
