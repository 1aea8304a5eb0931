import {
  AxAIServiceAbortedError,
  AxAIServiceAuthenticationError,
  AxAIServiceError,
  AxAIServiceNetworkError,
  AxAIServiceResponseError,
  AxAIServiceStatusError,
  AxAIServiceTimeoutError,
  AxBootstrapFewShot,
  AxGEPA,
  AxGenerateError,
  AxMediaNotSupportedError,
  ax,
  type AxAIService,
  type AxChatRequest,
  type AxChatResponse,
} from '@ax-llm/ax';
import { describe, expect, it, vi } from 'vitest';
import { AX_METADATA_KEY, createAxService } from '../src/adapters/ax/index.js';
import {
  isLlmActorsError,
  type ErrorCode,
  type LlmActorsError,
  type Runtime,
  type RuntimeConfig,
} from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { deferred, hang, httpFailure, testDriver } from './support/driver.js';
import { runtimePerTest } from './support/runtime.js';
import { EMOTION_SIGNATURE, emotionModel, metric, seeded, train } from '../examples/emotion.js';

let server: TestServer | undefined;

const runtimes = runtimePerTest(async () => {
  vi.restoreAllMocks();
  await server?.close();
  server = undefined;
});

const classifier = () => ax(EMOTION_SIGNATURE);

/** A runtime with one openai client, `gpt`, on a test server answering with {@link model}. */
async function serve(): Promise<Runtime> {
  server = await startTestServer({ reply: emotionModel });
  return runtimes.start({
    clients: { gpt: { provider: 'openai', baseUrl: server.url, model: 'test-model' } },
  });
}

const start = (config: RuntimeConfig): Promise<Runtime> => runtimes.start(config);

function chat(llm: AxAIService, content: string, req: Partial<AxChatRequest> = {}) {
  return llm.chat({ chatPrompt: [{ role: 'user', content }], ...req }) as Promise<AxChatResponse>;
}

/** Awaits a promise that must reject, and returns what it rejected with. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/** AxGen's own test for an error worth another attempt (dsp/generate.ts, infrastructure retry). */
function axGenRetries(e: unknown): boolean {
  return (
    (e instanceof AxAIServiceStatusError && e.status >= 500 && e.status < 600) ||
    e instanceof AxAIServiceNetworkError ||
    e instanceof AxAIServiceTimeoutError
  );
}

describe('Ax programs through a client', () => {
  it('answers an AxGen forward with the usage and model of the completion', async () => {
    const rt = await serve();
    const llm = createAxService(rt, 'gpt');
    const gen = classifier();
    expect(await gen.forward(llm, { review: 'I love this phone' })).toEqual({ emotion: 'joy' });
    expect(gen.getUsage()).toEqual([
      {
        ai: 'llm-actors',
        model: 'test-model',
        tokens: expect.objectContaining({ completionTokens: 2 }) as unknown,
      },
    ]);
    const sent = server!.lastRequest()!;
    expect(sent.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(sent.messages[1]!.content).toContain('I love this phone');
    expect(llm.getLastUsedChatModel()).toBe('test-model');
  });

  it('streams a forward with stream: true, usage and finish reason in the last chunk', async () => {
    const rt = await serve();
    const llm = createAxService(rt, 'gpt');
    const gen = classifier();
    const out = await gen.forward(llm, { review: 'What a great concert' }, { stream: true });
    expect(out).toEqual({ emotion: 'joy' });
    expect(server!.streams).toBe(1);
    expect(gen.getUsage()[0]?.tokens?.completionTokens).toBe(2);

    const s = (await llm.chat(
      { chatPrompt: [{ role: 'user', content: 'a b c' }] },
      { stream: true },
    )) as ReadableStream<AxChatResponse>;
    const chunks: AxChatResponse[] = [];
    for await (const chunk of s) chunks.push(chunk);
    expect(chunks.map((c) => c.results[0]!.content).join('')).toBe('emotion: sadness');
    expect(chunks.at(-1)).toMatchObject({
      results: [{ index: 0, content: '', finishReason: 'stop' }],
      modelUsage: { ai: 'llm-actors', model: 'test-model', tokens: { completionTokens: 2 } },
    });
    expect(chunks.slice(0, -1).every((c) => c.modelUsage === undefined)).toBe(true);
  });

  it('rejects chat() for a failure before the first delta, and errors the stream after it', async () => {
    const rt = await serve();
    const llm = createAxService(rt, 'gpt');
    const open = (content: string) =>
      llm.chat({ chatPrompt: [{ role: 'user', content }] }, { stream: true }) as Promise<
        ReadableStream<AxChatResponse>
      >;
    server!.inject({ kind: 'status', status: 400 }, { times: 1 });
    expect(await rejection(open('a b c'))).toBeInstanceOf(AxAIServiceStatusError);
    server!.inject({ kind: 'stream_cut', afterDeltas: 1 }, { times: 1 });
    const reader = (await open('d e f')).getReader();
    expect((await reader.read()).value?.results[0]?.content).toBe('emotion: ');
    const cut = await rejection(reader.read());
    expect(cut).toBeInstanceOf(AxAIServiceNetworkError);
    expect(axGenRetries(cut)).toBe(true);
  });

  it('answers a repeated forward from the cache, without an upstream call', async () => {
    const rt = await serve();
    const llm = createAxService(rt, 'gpt');
    await classifier().forward(llm, { review: 'I miss my old dog' });
    await classifier().forward(llm, { review: 'I miss my old dog' }, { stream: true });
    expect(server!.requests).toBe(1);
    const first = await chat(llm, 'hello');
    const again = await chat(llm, 'hello');
    expect(first.providerMetadata?.[AX_METADATA_KEY]).toMatchObject({ cacheHit: false });
    expect(again.providerMetadata?.[AX_METADATA_KEY]).toMatchObject({
      client: 'gpt',
      cacheHit: true,
    });
    expect(server!.requests).toBe(2);
    await chat(createAxService(rt, 'gpt', { rolloutId: 'run-2' }), 'hello');
    await chat(createAxService(rt, 'gpt', { cache: false }), 'hello');
    expect(server!.requests).toBe(4);
  });

  it('optimizes with AxBootstrapFewShot; a repeated seeded compile makes no upstream call', async () => {
    const rt = await serve();
    const llm = createAxService(rt, 'gpt');
    const compile = () =>
      seeded(7, () =>
        new AxBootstrapFewShot({
          studentAI: llm,
          verbose: false,
          options: { maxRounds: 1, maxDemos: 3, verboseMode: false },
        }).compile(classifier(), train, metric),
      );
    const first = await compile();
    expect(first.demos?.[0]?.traces.length).toBe(3);
    const calls = server!.requests;
    expect(calls).toBeGreaterThanOrEqual(3);
    const second = await compile();
    expect(server!.requests).toBe(calls);
    expect(second.demos).toEqual(first.demos);
  });

  it('optimizes the instruction with AxGEPA; a repeated seeded compile makes no upstream call', async () => {
    const rt = await serve();
    const llm = createAxService(rt, 'gpt');
    const compile = () =>
      seeded(7, () =>
        new AxGEPA({
          studentAI: llm,
          teacherAI: llm,
          numTrials: 3,
          minibatch: true,
          minibatchSize: 2,
          earlyStoppingTrials: 2,
          seed: 1,
          verbose: false,
        }).compile(classifier(), train.slice(0, 4), metric, {
          validationExamples: train.slice(4),
          maxMetricCalls: 30,
        }),
      );
    const first = await compile();
    expect(first.bestScore).toBe(1);
    expect(JSON.stringify(first.optimizedProgram?.componentMap)).toContain('fury mean anger');
    const calls = server!.requests;
    await compile();
    expect(server!.requests).toBe(calls);
  });
});

describe('request mapping', () => {
  it('sends temperature, maxTokens, stop, seed and the sampling fields the wire has', async () => {
    const rt = await serve();
    const llm = createAxService(rt, 'gpt', { modelConfig: { seed: 11, topK: 5 } });
    await chat(llm, 'hi', {
      modelConfig: {
        temperature: 0.2,
        maxTokens: 40,
        stopSequences: ['\n\n'],
        topP: 0.9,
        presencePenalty: 0.1,
        frequencyPenalty: 0.3,
      },
    });
    const body = server!.lastRequest()!.body;
    expect(body).toMatchObject({
      temperature: 0.2,
      max_tokens: 40,
      stop: ['\n\n'],
      seed: 11,
      top_p: 0.9,
      presence_penalty: 0.1,
      frequency_penalty: 0.3,
    });
    expect(body).not.toHaveProperty('top_k');
  });

  it('maps roles, joins text parts and turns function results into tool messages', async () => {
    const rt = await serve();
    const llm = createAxService(rt, 'gpt');
    await llm.chat({
      chatPrompt: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          name: 'ann',
          content: [
            { type: 'text', text: 'Review: ' },
            { type: 'text', text: 'fine' },
          ],
        },
        {
          role: 'assistant',
          content: 'calling',
          functionCalls: [
            { id: 'f1', type: 'function', function: { name: 'f', params: { a: 1 } } },
          ],
        },
        { role: 'function', functionId: 'f1', result: '42' },
      ],
    });
    expect(server!.lastRequest()!.body.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'Review: fine', name: 'ann' },
      {
        role: 'assistant',
        content: 'calling',
        tool_calls: [{ id: 'f1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
      { role: 'tool', content: '42', tool_call_id: 'f1' },
    ]);
  });

  it('gives several answers for Ax sampleCount through openai n', async () => {
    const rt = await serve();
    const llm = createAxService(rt, 'gpt');
    const res = await chat(llm, 'hi', { modelConfig: { n: 2 } });
    expect(res.results.map((r) => r.index)).toEqual([0, 1]);
    expect(server!.lastRequest()!.n).toBe(2);
    const streamed = await rejection(
      llm.chat(
        { chatPrompt: [{ role: 'user', content: 'hi' }], modelConfig: { n: 2 } },
        { stream: true },
      ),
    );
    expect(streamed).toBeInstanceOf(AxAIServiceError);
    expect(streamed.message).toContain('sampleCount');
  });

  it('rejects audio, files and other models before any upstream call', async () => {
    const rt = await serve();
    const llm = createAxService(rt, 'gpt');
    const audio = await rejection(
      llm.chat({
        chatPrompt: [{ role: 'user', content: [{ type: 'audio', data: 'AA==' }] }],
      }),
    );
    expect(audio).toBeInstanceOf(AxMediaNotSupportedError);
    expect(audio.message).toBe('Audio not supported by llm-actors');
    const other = await rejection(chat(llm, 'hi', { model: 'gpt-5' }));
    expect(other.message).toContain('this client serves "test-model"');
    expect(server!.requests).toBe(0);
  });

  it('reports its features, rejects embed, transcribe and speak, and costs nothing', async () => {
    const rt = await serve();
    const llm = createAxService(rt, 'gpt', { name: 'mine' });
    expect(llm.getFeatures()).toMatchObject({
      functions: true,
      streaming: true,
      structuredOutputs: true,
      media: { images: { supported: true }, audio: { supported: false } },
    });
    expect(llm.getName()).toBe('mine');
    expect(llm.getId()).toBe('llm-actors:gpt');
    for (const call of [
      llm.embed({ texts: ['a'] }),
      llm.transcribe({ audio: { data: '' } }),
      llm.speak({ text: 'a' }),
    ]) {
      const e = await rejection(call);
      expect(e).toBeInstanceOf(AxAIServiceError);
      expect(e.message).toContain('not supported');
    }
    expect(llm.getEstimatedCost()).toBe(0);
  });

  it('logs prompt and answers to the Ax logger when debug is on, as Ax providers do', async () => {
    const rt = await serve();
    const logged: string[] = [];
    const llm = createAxService(rt, 'gpt');
    llm.setOptions({ debug: true, logger: (m) => logged.push(m.name) });
    expect(llm.getOptions().debug).toBe(true);
    await classifier().forward(llm, { review: 'I love it' });
    await classifier().forward(llm, { review: 'I love it' }, { stream: true });
    expect(logged).toEqual([
      'ChatRequestChatPrompt',
      'ChatResponseResults',
      'ChatResponseUsage',
      'ChatRequestChatPrompt',
      'ChatResponseStreamingDoneResult',
      'ChatResponseUsage',
    ]);
  });

  it('reports metrics from the client health', async () => {
    const rt = await serve();
    const llm = createAxService(rt, 'gpt');
    await chat(llm, 'one');
    await chat(llm, 'two');
    server!.inject({ kind: 'status', status: 400 });
    await rejection(chat(llm, 'three'));
    const { latency, errors } = llm.getMetrics();
    expect(errors.chat).toEqual({ count: 1, total: 3, rate: 1 / 3 });
    expect(latency.chat.p99).toBeGreaterThan(0);
    expect(latency.chat.mean).toBe(rt.health('gpt').latencyMs.p50);
  });
});

describe('errors as Ax understands them', () => {
  it('maps each failure to the Ax class whose retry matches llm-actors retryable', async () => {
    type Case = [Error | 'garbled', new (...args: never[]) => Error, ErrorCode, boolean, number?];
    const cases: Record<string, Case> = {
      bad: [httpFailure(400), AxAIServiceStatusError, 'PROVIDER_ERROR', false, 400],
      auth: [httpFailure(401), AxAIServiceAuthenticationError, 'PROVIDER_ERROR', false],
      busy: [httpFailure(429), AxAIServiceStatusError, 'PROVIDER_ERROR', true, 503],
      down: [httpFailure(502), AxAIServiceStatusError, 'PROVIDER_ERROR', true, 502],
      final: [
        Object.assign(httpFailure(503), { retryable: false }),
        AxAIServiceResponseError,
        'PROVIDER_ERROR',
        false,
      ],
      reset: [
        Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
        AxAIServiceNetworkError,
        'NETWORK_ERROR',
        true,
      ],
      garbled: ['garbled', AxAIServiceResponseError, 'BAD_RESPONSE', false],
    };
    const d = testDriver((req) => {
      const [failure] = cases[req.messages[0]!.content as string]!;
      if (failure === 'garbled') return { text: 42 as unknown as string };
      throw failure;
    });
    const rt = await start({
      clients: { d: { ...d.config, retry: false, fuse: { maxFailures: 100 } } },
    });
    const llm = createAxService(rt, 'd');
    for (const [prompt, [, type, code, retryable, status]] of Object.entries(cases)) {
      const e = await rejection(chat(llm, prompt));
      expect(e, prompt).toBeInstanceOf(type);
      expect(isLlmActorsError(e.cause, code), prompt).toBe(true);
      expect(axGenRetries(e), prompt).toBe(retryable);
      if (status !== undefined) expect((e as AxAIServiceStatusError).status, prompt).toBe(status);
    }
    const busy = await rejection(chat(llm, 'busy'));
    expect(busy.message).toContain('surfaced to Ax as HTTP 503');
    expect((busy.cause as LlmActorsError).status).toBe(429);
  });

  it('maps timeouts, aborts and caller mistakes', async () => {
    const d = testDriver(hang);
    const rt = await start({ clients: { d: d.config } });
    const llm = createAxService(rt, 'd');
    const timedOut = await rejection(
      llm.chat({ chatPrompt: [{ role: 'user', content: 'x' }] }, { timeout: 20 }),
    );
    expect(timedOut).toBeInstanceOf(AxAIServiceTimeoutError);
    expect(isLlmActorsError(timedOut.cause, 'TIMEOUT')).toBe(true);
    const controller = new AbortController();
    const pending = rejection(
      llm.chat(
        { chatPrompt: [{ role: 'user', content: 'y' }] },
        { abortSignal: controller.signal },
      ),
    );
    controller.abort();
    const aborted = await pending;
    expect(aborted).toBeInstanceOf(AxAIServiceAbortedError);
    expect(axGenRetries(aborted)).toBe(false);
    const invalid = await rejection(chat(llm, 'z', { modelConfig: { temperature: 7 } }));
    expect(invalid.constructor).toBe(AxAIServiceError);
    expect(invalid.message).toContain('options.temperature');
    const unknown = await rejection(chat(createAxService(rt, 'nope'), 'z'));
    expect(isLlmActorsError(unknown.cause, 'UNKNOWN_CLIENT')).toBe(true);
    expect(axGenRetries(unknown)).toBe(false);
  });

  it('never puts an API key in an error', async () => {
    const key = 'sk-wrong-SENTINEL-0123456789';
    server = await startTestServer({ apiKey: 'sk-right' });
    const runtime = await start({
      clients: { gpt: { provider: 'openai', baseUrl: server.url, model: 'm', apiKey: key } },
    });
    const e = await rejection(chat(createAxService(runtime, 'gpt'), 'hi'));
    expect(e).toBeInstanceOf(AxAIServiceAuthenticationError);
    expect(`${e.toString()} ${e.stack} ${JSON.stringify(e)}`).not.toContain('SENTINEL');
  });
});

describe('fuse and supervisor errors in an Ax program', () => {
  it('retries FUSE_OPEN as AxGen retries a 503, then surfaces it', async () => {
    const d = testDriver(() => {
      throw httpFailure(500);
    });
    const rt = await start({
      clients: { d: { ...d.config, retry: false, fuse: { maxFailures: 1, resetMs: 60_000 } } },
    });
    await rejection(rt.request('d', [{ role: 'user', content: 'melt' }]));
    expect(rt.health('d').fuse.state).toBe('open');
    const llm = createAxService(rt, 'd');
    const calls = vi.spyOn(llm, 'chat');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const result = rejection(classifier().forward(llm, { review: 'x' }, { maxRetries: 1 }));
    // AxGen backs off 1 s before its first infrastructure retry.
    await vi.advanceTimersByTimeAsync(2_000);
    const e = await result;
    expect(calls).toHaveBeenCalledTimes(2);
    expect(d.calls).toHaveLength(1);
    expect(e).toBeInstanceOf(AxAIServiceStatusError);
    expect(isLlmActorsError(e.cause, 'FUSE_OPEN')).toBe(true);
  });

  it('retries a request cut by CLIENT_RESTARTED and answers from the restarted client', async () => {
    const started = deferred<void>();
    const d = testDriver((req, n) => {
      if (n > 1) return { text: 'emotion: joy' };
      started.resolve();
      return hang(req);
    });
    const rt = await start({ clients: { d: d.config } });
    const llm = createAxService(rt, 'd');
    const calls = vi.spyOn(llm, 'chat');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const result = classifier().forward(llm, { review: 'x' }, { maxRetries: 1 });
    await started.promise;
    rt.kill('d');
    // AxGen backs off 1 s before its first infrastructure retry.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await result).toEqual({ emotion: 'joy' });
    expect(calls).toHaveBeenCalledTimes(2);
    expect(rt.health('d').restarts).toBe(1);
  });

  it('does not retry CLIENT_FAILED', async () => {
    const d = testDriver();
    const rt = await start({ clients: { d: d.config }, supervisor: { maxRestarts: 0 } });
    rt.kill('d');
    expect(rt.health('d').status).toBe('failed');
    const llm = createAxService(rt, 'd');
    const calls = vi.spyOn(llm, 'chat');
    const e = await rejection(classifier().forward(llm, { review: 'x' }, { maxRetries: 3 }));
    expect(calls).toHaveBeenCalledTimes(1);
    expect(e).toBeInstanceOf(AxGenerateError);
    expect(e.cause).toBeInstanceOf(AxAIServiceResponseError);
    expect(isLlmActorsError((e.cause as Error).cause, 'CLIENT_FAILED')).toBe(true);
  });
});
