import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClientConfig, Runtime } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { hi, testDriver } from './support/driver.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

/** A local upstream whose streamed answer each test writes by hand. */
let server: Server | undefined;
let calls = 0;

const runtimes = runtimePerTest(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  calls = 0;
});

async function upstream(
  write: (res: ServerResponse, body: Record<string, unknown>) => void,
): Promise<string> {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      calls++;
      write(res, JSON.parse(data));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const start = (config: ClientConfig): Promise<Runtime> =>
  runtimes.start({ clients: { c: config } });

async function collect(s: AsyncIterable<{ text: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of s) out.push(chunk.text);
  return out;
}

/** Writes `text` in pieces of `size` bytes (splitting UTF-8 characters on purpose). */
function writeInPieces(res: ServerResponse, text: string, size: number): void {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) res.write(bytes.subarray(i, i + size));
}

const openaiChunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'gpt-stream', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

function openaiStream(words: string[], usage = true): string {
  return (
    openaiChunk({ role: 'assistant', content: '' }) +
    words.map((w) => openaiChunk({ content: w })).join('') +
    openaiChunk({}, 'stop') +
    (usage
      ? `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 4, completion_tokens: words.length, total_tokens: 4 + words.length } })}\n\n`
      : '') +
    'data: [DONE]\n\n'
  );
}

describe('streaming', () => {
  it('streams OpenAI deltas split at every byte, multi-byte UTF-8 included', async () => {
    const words = ['Héllo', ' wörld', ' ✓', ' 日本'];
    let sent: Record<string, unknown> = {};
    const url = await upstream((res, body) => {
      sent = body;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      writeInPieces(res, openaiStream(words), 1);
      res.end();
    });
    const rt = await start({ provider: 'openai', baseUrl: url, model: 'gpt' });
    const s = rt.stream('c', hi);
    expect(await collect(s)).toEqual(words);
    expect(sent).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    await expect(s.completion).resolves.toMatchObject({
      text: 'Héllo wörld ✓ 日本',
      finishReason: 'stop',
      cacheHit: false,
      model: 'gpt-stream',
      usage: { promptTokens: 4, completionTokens: 4, totalTokens: 8 },
    });
  });

  it('caches a completed stream and replays it as a stream with cacheHit', async () => {
    const url = await upstream((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(openaiStream(['a', 'b']));
    });
    const rt = await start({ provider: 'openai', baseUrl: url, model: 'gpt' });
    await collect(rt.stream('c', hi));
    const again = rt.stream('c', hi);
    expect((await collect(again)).join('')).toBe('ab');
    expect(await again.completion).toMatchObject({ cacheHit: true, text: 'ab' });
    await expect(rt.request('c', hi)).resolves.toMatchObject({ cacheHit: true, text: 'ab' });
    expect(calls).toBe(1);
  });

  it('surfaces an error after content without retrying, and caches nothing', async () => {
    const url = await upstream((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(
        openaiChunk({ content: 'partial' }) +
          `data: ${JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } })}\n\n`,
      );
    });
    const rt = await start({ provider: 'openai', baseUrl: url, model: 'gpt' });
    const s = rt.stream('c', hi);
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const chunk of s) seen.push(chunk.text);
      })(),
    );
    expect(seen).toEqual(['partial']);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(calls).toBe(1);
    expect(rt.health('c').fuse.failures).toBe(1);
    await failure(s.completion);
    await failure(rt.request('c', hi));
    expect(calls).toBe(2);
  });

  it('retries a failure that arrives before the first delta', async () => {
    const url = await upstream((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (calls === 1) res.end(`data: ${JSON.stringify({ error: { message: 'busy' } })}\n\n`);
      else res.end(openaiStream(['ok']));
    });
    const rt = await start({
      provider: 'openai',
      baseUrl: url,
      model: 'gpt',
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });
    expect(await collect(rt.stream('c', hi))).toEqual(['ok']);
    expect(calls).toBe(2);
  });

  it('types a stream cut before its terminator as NETWORK_ERROR', async () => {
    const url = await upstream((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(openaiChunk({ content: 'half' }));
      setImmediate(() => res.destroy());
    });
    const rt = await start({ provider: 'openai', baseUrl: url, model: 'gpt', retry: false });
    const s = rt.stream('c', hi);
    expect((await failure(collect(s))).code).toBe('NETWORK_ERROR');
  });

  it('releases the connection and the slot when the consumer stops early', async () => {
    let closed = false;
    const url = await upstream((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(openaiChunk({ content: 'first' }));
      res.on('close', () => (closed = true));
    });
    const rt = await start({ provider: 'openai', baseUrl: url, model: 'gpt', maxConcurrency: 1 });
    const s = rt.stream('c', hi);
    for await (const chunk of s) {
      expect(chunk.text).toBe('first');
      break;
    }
    expect((await failure(s.completion)).code).toBe('ABORTED');
    await vi.waitFor(() => expect(rt.health('c').requests.inFlight).toBe(0));
    await vi.waitFor(() => expect(closed).toBe(true));
    expect(rt.health('c').fuse.failures).toBe(0);
    expect(rt.health('c').cache.misses).toBe(1);
    // Nothing was cached: the same request goes upstream again (and meets the same hang).
    await expect(rt.request('c', hi, { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
  });

  it('ends a stream at its deadline with TIMEOUT', async () => {
    const url = await upstream((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(openaiChunk({ content: 'slow' }));
    });
    const rt = await start({ provider: 'openai', baseUrl: url, model: 'gpt' });
    const s = rt.stream('c', hi, { timeoutMs: 100 });
    expect((await failure(collect(s))).code).toBe('TIMEOUT');
  });

  it('streams Anthropic events and reads usage and stop reason', async () => {
    const events = [
      [
        'message_start',
        {
          type: 'message_start',
          message: { model: 'claude-s', usage: { input_tokens: 7, output_tokens: 1 } },
        },
      ],
      [
        'content_block_start',
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      ],
      ['ping', { type: 'ping' }],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Bon' } },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'jour' } },
      ],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      [
        'message_delta',
        {
          type: 'message_delta',
          delta: { stop_reason: 'max_tokens' },
          usage: { output_tokens: 2 },
        },
      ],
      ['message_stop', { type: 'message_stop' }],
    ] as const;
    const url = await upstream((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      writeInPieces(
        res,
        events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join(''),
        7,
      );
      res.end();
    });
    const rt = await start({ provider: 'anthropic', baseUrl: url, model: 'claude' });
    const s = rt.stream('c', hi);
    expect(await collect(s)).toEqual(['Bon', 'jour']);
    expect(await s.completion).toMatchObject({
      text: 'Bonjour',
      finishReason: 'length',
      model: 'claude-s',
      usage: { promptTokens: 7, completionTokens: 2, totalTokens: 9 },
    });
  });

  it('turns an Anthropic overloaded error before any content into a retryable 529', async () => {
    const url = await upstream((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(
        `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`,
      );
    });
    const rt = await start({ provider: 'anthropic', baseUrl: url, model: 'claude', retry: false });
    const error = await failure(collect(rt.stream('c', hi)));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 529, retryable: true });
  });

  it('streams Ollama NDJSON', async () => {
    let sent: Record<string, unknown> = {};
    const url = await upstream((res, body) => {
      sent = body;
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const lines = [
        { model: 'llama', message: { role: 'assistant', content: 'Hi' }, done: false },
        { model: 'llama', message: { role: 'assistant', content: ' there' }, done: false },
        {
          model: 'llama',
          message: { role: 'assistant', content: '' },
          done: true,
          done_reason: 'stop',
          prompt_eval_count: 3,
          eval_count: 2,
        },
      ];
      writeInPieces(res, lines.map((l) => JSON.stringify(l) + '\n').join(''), 5);
      res.end();
    });
    const rt = await start({ provider: 'ollama', baseUrl: url, model: 'llama' });
    const s = rt.stream('c', hi);
    expect(await collect(s)).toEqual(['Hi', ' there']);
    expect(sent.stream).toBe(true);
    expect(await s.completion).toMatchObject({
      text: 'Hi there',
      usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
    });
  });

  it('streams a driver client as one delta', async () => {
    const d = testDriver();
    const rt = await start(d.config);
    const s = rt.stream('c', hi);
    expect(await collect(s)).toEqual(['echo: hi']);
    expect((await s.completion).text).toBe('echo: hi');
  });

  it('reports an unknown client through the iterator and the completion', async () => {
    const runtime = await runtimes.start();
    const s = runtime.stream('nope', hi);
    expect((await failure(collect(s))).code).toBe('UNKNOWN_CLIENT');
    expect((await failure(s.completion)).code).toBe('UNKNOWN_CLIENT');
  });
});

describe.each(['openai', 'anthropic', 'ollama'] as const)(
  '%s streams against the testing server',
  (provider) => {
    let test: TestServer;

    afterEach(async () => {
      await test?.close();
    });

    async function startFormat(): Promise<Runtime> {
      test = await startTestServer({ splitBytes: 2 });
      const baseUrl = provider === 'openai' ? test.url : test.origin;
      return start({ provider, baseUrl, model: 'm', retry: { baseDelayMs: 1, maxDelayMs: 5 } });
    }

    it('surfaces an error event after content without retrying', async () => {
      const rt = await startFormat();
      test.inject({ kind: 'stream_error', afterDeltas: 2 }, { times: 1 });
      const s = rt.stream('c', [{ role: 'user', content: 'one two three four' }]);
      const seen: string[] = [];
      const error = await failure(
        (async () => {
          for await (const chunk of s) seen.push(chunk.text);
        })(),
      );
      expect(error.code).toBe('PROVIDER_ERROR');
      expect(seen.length).toBe(2);
      expect(test.requests).toBe(1);
      expect(rt.health('c').fuse.failures).toBe(1);
    });

    it('retries a stream cut before its first delta, then answers in full', async () => {
      const rt = await startFormat();
      test.inject({ kind: 'stream_cut', afterDeltas: 0 }, { times: 1 });
      const s = rt.stream('c', [{ role: 'user', content: 'héllo wörld ✓ 日本' }]);
      expect((await collect(s)).join('')).toBe('echo: héllo wörld ✓ 日本');
      expect(test.requests).toBe(2);
      expect((await s.completion).finishReason).toBe('stop');
    });
  },
);
