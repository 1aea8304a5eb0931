/**
 * How a stream ends: a body that ended cleanly after the finish reason is a whole answer even
 * without its terminator (`data: [DONE]`, Anthropic's `message_stop`); one that ended before
 * its finish is not. An event that is not JSON is skipped and counted (health and one warn line
 * per window); the stream fails with BAD_RESPONSE only when it then lacks a finish.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../src/index.js';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { openaiChunk, openaiUsage, rawUpstream, type RawUpstream } from './support/raw-upstream.js';
import { runtimePerTest } from './support/runtime.js';

let raw: RawUpstream | undefined;
const runtimes = runtimePerTest(async () => {
  await raw?.close();
  raw = undefined;
});

/** An upstream that streams `body` (then ends the body cleanly, or destroys the socket). */
async function streaming(body: string, type = 'text/event-stream', cut = false): Promise<string> {
  raw = await rawUpstream((res) => {
    res.writeHead(200, { 'content-type': type });
    if (!cut) {
      res.end(body);
      return;
    }
    res.write(body, () => res.socket?.destroy());
  });
  return raw.url;
}

async function start(
  provider: 'openai' | 'anthropic' | 'ollama',
  url: string,
  logger?: pino.Logger,
): Promise<Runtime> {
  return runtimes.start({
    clients: { c: { provider, baseUrl: url, model: 'm', retry: false } },
    ...(logger && { logger }),
  });
}

async function collect(s: AsyncIterable<{ text: string }>): Promise<string> {
  let out = '';
  for await (const chunk of s) out += chunk.text;
  return out;
}

const anthropicEvent = (type: string, data: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

const anthropicHead =
  anthropicEvent('message_start', {
    message: { model: 'claude', usage: { input_tokens: 5, output_tokens: 0 } },
  }) +
  anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Bon' } }) +
  anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'jour' } }) +
  anthropicEvent('content_block_stop', { index: 0 });

const anthropicStop = anthropicEvent('message_delta', {
  delta: { stop_reason: 'end_turn' },
  usage: { output_tokens: 2 },
});

const ollamaLine = (content: string, done = false) =>
  JSON.stringify({
    model: 'llama',
    message: { role: 'assistant', content },
    done,
    ...(done && { done_reason: 'stop', prompt_eval_count: 3, eval_count: 2 }),
  });

describe('a stream that ends without its terminator', () => {
  it('openai: is whole after the finish reason and usage, and is cached', async () => {
    const url = await streaming(
      openaiChunk({ role: 'assistant', content: '' }) +
        openaiChunk({ content: 'all' }) +
        openaiChunk({ content: ' here' }) +
        openaiChunk({}, 'stop') +
        openaiUsage(4, 2),
    );
    const rt = await start('openai', url);
    const s = rt.stream('c', hi);
    expect(await collect(s)).toBe('all here');
    await expect(s.completion).resolves.toMatchObject({
      text: 'all here',
      finishReason: 'stop',
      usage: { promptTokens: 4, completionTokens: 2, totalTokens: 6 },
    });
    await expect(rt.request('c', hi)).resolves.toMatchObject({ cacheHit: true, text: 'all here' });
    expect(raw!.calls).toBe(1);
  });

  it('openai: is cut short without a finish reason: NETWORK_ERROR, retryable', async () => {
    const url = await streaming(openaiChunk({ content: 'half' }) + openaiChunk({ content: ' of' }));
    const rt = await start('openai', url);
    const error = await failure(collect(rt.stream('c', hi)));
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
    expect(error.message).toContain('[DONE]');
  });

  it('openai: is not whole when the connection dies after the finish reason', async () => {
    const url = await streaming(
      openaiChunk({ content: 'all' }) + openaiChunk({}, 'stop'),
      'text/event-stream',
      true,
    );
    const rt = await start('openai', url);
    const error = await failure(collect(rt.stream('c', hi)));
    expect(error.code).toBe('NETWORK_ERROR');
  });

  it('openai: with several choices, is whole only once every choice has finished', async () => {
    const chunk = (index: number, delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ choices: [{ index, delta, finish_reason: finish }] })}\n\n`;
    const url = await streaming(
      chunk(0, { content: 'a' }) + chunk(1, { content: 'b' }) + chunk(0, {}, 'stop'),
    );
    const rt = await start('openai', url);
    const error = await failure(collect(rt.stream('c', hi, { extra: { n: 2 } })));
    expect(error.code).toBe('NETWORK_ERROR');
  });

  it('anthropic: is whole after message_delta brought the stop reason', async () => {
    const url = await streaming(anthropicHead + anthropicStop);
    const rt = await start('anthropic', url);
    const s = rt.stream('c', hi);
    expect(await collect(s)).toBe('Bonjour');
    await expect(s.completion).resolves.toMatchObject({
      text: 'Bonjour',
      finishReason: 'stop',
      usage: { promptTokens: 5, completionTokens: 2 },
    });
  });

  it('anthropic: is cut short without a stop reason', async () => {
    const url = await streaming(anthropicHead);
    const rt = await start('anthropic', url);
    const error = await failure(collect(rt.stream('c', hi)));
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.message).toContain('message_stop');
  });

  it('ollama: is whole after the done line, even without its final newline', async () => {
    const url = await streaming(
      `${ollamaLine('Hi')}\n${ollamaLine(' there')}\n${ollamaLine('', true)}`,
      'application/x-ndjson',
    );
    const rt = await start('ollama', url);
    const s = rt.stream('c', hi);
    expect(await collect(s)).toBe('Hi there');
    await expect(s.completion).resolves.toMatchObject({ text: 'Hi there', finishReason: 'stop' });
  });
});

describe('an event that is not JSON', () => {
  function logged(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    return { logger: pino({ level: 'warn' }, sink), lines };
  }

  it('openai: is skipped and counted, and the rest of the stream is the answer', async () => {
    const url = await streaming(
      openaiChunk({ content: 'one' }) +
        'data: {"choices":[{"delta":{"content":" lost\n\n' +
        openaiChunk({ content: ' two' }) +
        'data: not json at all\n\n' +
        openaiChunk({}, 'stop') +
        'data: [DONE]\n\n',
    );
    const { logger, lines } = logged();
    const rt = await start('openai', url, logger);
    const s = rt.stream('c', hi);
    expect(await collect(s)).toBe('one two');
    await expect(s.completion).resolves.toMatchObject({ text: 'one two', finishReason: 'stop' });
    expect(rt.health('c').stream).toEqual({ skippedEvents: 2 });
    // One warn line, however many events: the repeats are counted into its summary.
    const warns = lines.filter((l) => l.msg === 'skipped a stream event that is not JSON');
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ level: 40, client: 'c' });
  });

  it('openai: fails the stream with BAD_RESPONSE when a finish never comes', async () => {
    const url = await streaming(openaiChunk({ content: 'one' }) + 'data: {oops\n\n');
    const rt = await start('openai', url);
    const error = await failure(collect(rt.stream('c', hi)));
    expect(error).toMatchObject({ code: 'BAD_RESPONSE', retryable: false });
    expect(error.message).toContain('not JSON');
    expect(rt.health('c').stream.skippedEvents).toBe(1);
  });

  it('anthropic: is skipped and counted', async () => {
    const url = await streaming(
      anthropicHead + 'event: content_block_delta\ndata: {garbled\n\n' + anthropicStop,
    );
    const rt = await start('anthropic', url);
    const s = rt.stream('c', hi);
    expect(await collect(s)).toBe('Bonjour');
    expect(rt.health('c').stream.skippedEvents).toBe(1);
  });

  it('ollama: a line that is not JSON is skipped and counted', async () => {
    const url = await streaming(
      `${ollamaLine('Hi')}\n{"model":\n${ollamaLine(' there')}\n42\n${ollamaLine('', true)}\n`,
      'application/x-ndjson',
    );
    const rt = await start('ollama', url);
    const s = rt.stream('c', hi);
    expect(await collect(s)).toBe('Hi there');
    expect(rt.health('c').stream.skippedEvents).toBe(2);
  });

  it('starts every client with no skipped events in its health', async () => {
    const url = await streaming(openaiChunk({}, 'stop'));
    const rt = await start('openai', url);
    expect(rt.health('c').stream).toEqual({ skippedEvents: 0 });
  });
});

describe('an index a stream numbers its choices or tool calls with', () => {
  const chunk = (choice: Record<string, unknown>) =>
    `data: ${JSON.stringify({ id: 'x', model: 'm', choices: [choice] })}\n\n`;

  it('past the choices a stream may have is a BAD_RESPONSE, at once, not an array that size', async () => {
    const url = await streaming(
      chunk({ index: 100_000_000, delta: { content: 'hi' }, finish_reason: 'stop' }),
    );
    const rt = await start('openai', url);
    const error = await failure(collect(rt.stream('c', hi)));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('choice index is 100000000, not 0 to 127');
  });

  it('negative or past the tool calls one answer may make is a BAD_RESPONSE', async () => {
    for (const index of [-1, 2 ** 31]) {
      const call = { index, id: 'a', function: { name: 'f', arguments: '{}' } };
      const url = await streaming(chunk({ index: 0, delta: { tool_calls: [call] } }));
      const rt = await start('openai', url);
      const error = await failure(collect(rt.stream('c', hi)));
      expect(error.code).toBe('BAD_RESPONSE');
      expect(error.message).toContain(`tool call index is ${index}, not 0 to 1023`);
      await raw!.close();
    }
  });
});

describe('an Anthropic stream of content blocks that say nothing', () => {
  it('past 4096 blocks is a BAD_RESPONSE, not an entry held for each', async () => {
    const block = anthropicEvent('content_block_start', {
      index: 1,
      content_block: { type: 'thinking', thinking: '' },
    });
    const url = await streaming(anthropicHead + block.repeat(5000));
    const rt = await start('anthropic', url);
    const error = await failure(collect(rt.stream('c', hi)));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('content block index is 4096, not 0 to 4095');
  });

  it('counts redacted thinking against maxResponseBytes', async () => {
    const data = 'x'.repeat(600);
    const block = anthropicEvent('content_block_start', {
      index: 1,
      content_block: { type: 'redacted_thinking', data },
    });
    raw = await rawUpstream((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(anthropicHead + block.repeat(3));
    });
    const rt = await runtimes.start({
      clients: {
        c: {
          provider: 'anthropic',
          baseUrl: raw.url,
          model: 'm',
          retry: false,
          maxResponseBytes: 1024,
        },
      },
    });
    const error = await failure(collect(rt.stream('c', hi)));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('maxResponseBytes');
  });
});
