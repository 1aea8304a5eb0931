/**
 * The AI SDK adapter, driven through the AI SDK's own `generateText` / `streamText` (ai 6, and
 * ai 7 where noted) against the testing server.
 */
import { APICallError, UnsupportedFunctionalityError } from '@ai-sdk/provider';
import { generateText, streamText } from 'ai';
import * as ai7 from 'ai-v7';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLanguageModel } from '../src/adapters/ai-sdk/index.js';
import type { ClientConfig, Runtime } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { runtimePerTest } from './support/runtime.js';

let server: TestServer;

const runtimes = runtimePerTest(() => server.close());

function start(config: Partial<ClientConfig> = {}): Promise<Runtime> {
  return runtimes.start({
    clients: {
      gpt: {
        provider: 'openai',
        baseUrl: server.url,
        model: 'gpt-test',
        retry: { baseDelayMs: 1, maxDelayMs: 10 },
        ...config,
      } as ClientConfig,
    },
  });
}

/** Awaits a promise that must reject, and returns what it rejected with. */
async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

function apiError(error: unknown): APICallError {
  if (!APICallError.isInstance(error)) throw new Error(`not an APICallError: ${String(error)}`);
  return error;
}

// The adapter's warnings are asserted on the results; the AI SDK need not print them too.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

beforeEach(async () => {
  server = await startTestServer();
});

describe('generateText', () => {
  it('answers through the named client with usage, finish reason and metadata', async () => {
    const rt = await start();
    const result = await generateText({
      model: createLanguageModel(rt, 'gpt'),
      system: 'Be brief.',
      prompt: 'hello there',
    });
    expect(result.text).toBe('echo: hello there');
    expect(result.finishReason).toBe('stop');
    const { inputTokens, outputTokens, totalTokens } = result.usage;
    expect(outputTokens).toBe(3);
    expect(inputTokens).toBeGreaterThan(0);
    expect(totalTokens).toBe(inputTokens! + outputTokens!);
    expect(result.providerMetadata?.['llm-actors']).toMatchObject({
      client: 'gpt',
      cacheHit: false,
      model: 'test-model',
    });
    expect(result.response.modelId).toBe('test-model');
    expect(server.lastRequest()!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hello there' },
    ]);
  });

  it('passes temperature, maxOutputTokens, stopSequences and seed on to the provider', async () => {
    const rt = await start();
    await generateText({
      model: createLanguageModel(rt, 'gpt'),
      prompt: 'hi',
      temperature: 0.2,
      maxOutputTokens: 30,
      stopSequences: ['###'],
      seed: 11,
    });
    expect(server.lastRequest()!.body).toMatchObject({
      temperature: 0.2,
      max_tokens: 30,
      stop: ['###'],
      seed: 11,
    });
  });

  it('serves a repeated call from the cache without an upstream call', async () => {
    const rt = await start();
    const model = createLanguageModel(rt, 'gpt');
    const first = await generateText({ model, prompt: 'same', temperature: 0 });
    const second = await generateText({ model, prompt: 'same', temperature: 0 });
    expect(second.text).toBe(first.text);
    expect(second.usage.totalTokens).toBe(first.usage.totalTokens);
    expect(second.providerMetadata?.['llm-actors']?.cacheHit).toBe(true);
    expect(server.requests).toBe(1);
  });

  it('takes rolloutId, cache, timeoutMs and extra from providerOptions', async () => {
    const rt = await start();
    const model = createLanguageModel(rt, 'gpt');
    const say = (providerOptions: Record<string, Record<string, never>>) =>
      generateText({ model, prompt: 'q', providerOptions });
    await say({});
    await say({ 'llm-actors': { rolloutId: 2 } as never });
    await say({ 'llm-actors': { cache: false, extra: { user: 'u1' } } as never });
    expect(server.requests).toBe(3);
    expect(server.lastRequest()!.body.user).toBe('u1');
    const invalid = apiError(await rejection(say({ 'llm-actors': { timeoutMs: -1 } as never })));
    expect(invalid).toMatchObject({ isRetryable: false, data: { code: 'INVALID_REQUEST' } });
    expect(invalid.message).toContain('options.timeoutMs');
  });

  it('warns about settings it cannot send and rejects files that are not images', async () => {
    const rt = await start();
    const model = createLanguageModel(rt, 'gpt');
    const result = await generateText({ model, prompt: 'hi', topP: 0.5, topK: 3 });
    expect(result.warnings).toEqual([
      { type: 'unsupported', feature: 'topP' },
      { type: 'unsupported', feature: 'topK' },
    ]);
    const withFile = await rejection(
      model.doGenerate({
        prompt: [
          {
            role: 'user',
            content: [{ type: 'file', mediaType: 'audio/wav', data: new Uint8Array([1]) }],
          },
        ],
      }),
    );
    expect(UnsupportedFunctionalityError.isInstance(withFile)).toBe(true);
    expect(server.requests).toBe(1);
  });

  it('works the same with ai 7', async () => {
    const rt = await start();
    const result = await ai7.generateText({ model: createLanguageModel(rt, 'gpt'), prompt: 'v7' });
    expect(result.text).toBe('echo: v7');
    expect(result.usage.outputTokens).toBe(2);
    expect(result.finishReason).toBe('stop');
  });
});

describe('streamText', () => {
  it('streams text deltas and reports usage and finish reason at the end', async () => {
    server.setReply(() => 'one two three four');
    const rt = await start();
    const result = streamText({ model: createLanguageModel(rt, 'gpt'), prompt: 'count' });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('one two three four');
    expect(await result.finishReason).toBe('stop');
    expect((await result.usage).outputTokens).toBe(4);
    expect(server.streams).toBe(1);
  });

  it('replays a cached answer as a stream', async () => {
    const rt = await start();
    const model = createLanguageModel(rt, 'gpt');
    expect(await streamText({ model, prompt: 'again' }).text).toBe('echo: again');
    const replay = streamText({ model, prompt: 'again' });
    expect(await replay.text).toBe('echo: again');
    expect((await replay.providerMetadata)?.['llm-actors']?.cacheHit).toBe(true);
    expect(server.requests).toBe(1);
  });

  it('streams the first of several answers (extra n: 2) to its end, past the others', async () => {
    server.setReply(() => 'one two three');
    const rt = await start();
    const result = streamText({
      model: createLanguageModel(rt, 'gpt'),
      prompt: 'count',
      providerOptions: { 'llm-actors': { extra: { n: 2 } } },
    });
    expect(await result.text).toBe('one two three');
    expect(server.lastRequest()!.n).toBe(2);
  });

  it('works the same with ai 7', async () => {
    server.setReply(() => 'a b c');
    const rt = await start();
    const result = ai7.streamText({ model: createLanguageModel(rt, 'gpt'), prompt: 'v7' });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.join('')).toBe('a b c');
    expect((await result.usage).outputTokens).toBe(3);
  });

  it('ends with an error part when the upstream stream breaks after the first delta', async () => {
    server.setReply(() => 'one two three four');
    server.inject({ kind: 'stream_cut', afterDeltas: 1 });
    const rt = await start({ retry: false });
    const result = streamText({
      model: createLanguageModel(rt, 'gpt'),
      prompt: 'cut',
      onError: () => undefined, // read from fullStream below instead of logged
    });
    const kinds: string[] = [];
    let error: unknown;
    for await (const part of result.fullStream) {
      kinds.push(part.type);
      if (part.type === 'error') error = part.error;
    }
    expect(kinds).toContain('text-delta');
    expect(apiError(error)).toMatchObject({ isRetryable: true, data: { code: 'NETWORK_ERROR' } });
  });

  it('rejects doStream itself when the request fails before any text', async () => {
    server.inject({ kind: 'status', status: 503 });
    const rt = await start({ retry: false });
    const model = createLanguageModel(rt, 'gpt');
    const error = apiError(
      await rejection(
        model.doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] }),
      ),
    );
    expect(error).toMatchObject({ statusCode: 503, isRetryable: true });
    expect(error.data).toMatchObject({ code: 'PROVIDER_ERROR' });
  });

  it('stops the upstream call when the stream is cancelled', async () => {
    server.setReply(() => 'one two three four five six seven eight');
    server.inject({ kind: 'trickle', chunkDelayMs: 20, chunkBytes: 16 });
    const rt = await start();
    const model = createLanguageModel(rt, 'gpt');
    const { stream } = await model.doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'long' }] }],
    });
    const reader = stream.getReader();
    let part = await reader.read();
    while (part.value?.type !== 'text-delta') part = await reader.read();
    await reader.cancel();
    await expect.poll(() => rt.health('gpt').requests.inFlight).toBe(0);
    expect(rt.health('gpt').requests.succeeded).toBe(0);
  });
});

describe('errors as the AI SDK expects them', () => {
  it('makes an open fuse a retryable APICallError with retry-after-ms, without an upstream call', async () => {
    server.inject({ kind: 'status', status: 500 }, { times: 1 });
    const rt = await start({ retry: false, fuse: { maxFailures: 1, resetMs: 60_000 } });
    const model = createLanguageModel(rt, 'gpt');
    const melted = apiError(await rejection(generateText({ model, prompt: 'a', maxRetries: 0 })));
    expect(melted).toMatchObject({ statusCode: 500, isRetryable: true });
    const open = apiError(await rejection(generateText({ model, prompt: 'b', maxRetries: 0 })));
    expect(open).toMatchObject({ isRetryable: true, data: { code: 'FUSE_OPEN', client: 'gpt' } });
    expect(Number(open.responseHeaders?.['retry-after-ms'])).toBeGreaterThan(59_000);
    expect(open.cause).toMatchObject({ code: 'FUSE_OPEN' });
    expect(server.requests).toBe(1);
  });

  it('lets the AI SDK retry through an open fuse after the time it gives', async () => {
    server.inject({ kind: 'status', status: 500 }, { times: 1 });
    const rt = await start({ retry: false, fuse: { maxFailures: 1, resetMs: 30 } });
    const model = createLanguageModel(rt, 'gpt');
    await rejection(generateText({ model, prompt: 'a', maxRetries: 0 }));
    const result = await generateText({ model, prompt: 'b', maxRetries: 1 });
    expect(result.text).toBe('echo: b');
    expect(rt.health('gpt').fuse.state).toBe('closed');
  });

  it('makes an unknown client and a failed client non-retryable', async () => {
    const rt = await start();
    const unknown = apiError(
      await rejection(generateText({ model: createLanguageModel(rt, 'nope'), prompt: 'x' })),
    );
    expect(unknown).toMatchObject({ isRetryable: false, data: { code: 'UNKNOWN_CLIENT' } });
    for (let i = 0; i < 4 && rt.health('gpt').status !== 'failed'; i++) {
      rt.kill('gpt');
      await expect.poll(() => rt.health('gpt').status).not.toBe('restarting');
    }
    expect(rt.health('gpt').status).toBe('failed');
    const failed = apiError(
      await rejection(generateText({ model: createLanguageModel(rt, 'gpt'), prompt: 'x' })),
    );
    expect(failed).toMatchObject({ isRetryable: false, data: { code: 'CLIENT_FAILED' } });
  });

  it('makes a request cut by a crash (CLIENT_RESTARTED) retryable', async () => {
    server.inject({ kind: 'hang' }, { times: 1 });
    const rt = await start();
    const pending = rejection(
      generateText({ model: createLanguageModel(rt, 'gpt'), prompt: 'x', maxRetries: 0 }),
    );
    await expect.poll(() => server.requests).toBe(1);
    rt.kill('gpt');
    expect(apiError(await pending)).toMatchObject({
      isRetryable: true,
      data: { code: 'CLIENT_RESTARTED' },
    });
  });

  it('aborts through abortSignal', async () => {
    server.inject({ kind: 'hang' }, { times: 1 });
    const rt = await start();
    const controller = new AbortController();
    const pending = rejection(
      generateText({
        model: createLanguageModel(rt, 'gpt'),
        prompt: 'x',
        abortSignal: controller.signal,
      }),
    );
    await expect.poll(() => server.requests).toBe(1);
    controller.abort();
    expect(apiError(await pending)).toMatchObject({
      isRetryable: false,
      data: { code: 'ABORTED' },
    });
    expect(rt.health('gpt').requests.inFlight).toBe(0);
  });
});
