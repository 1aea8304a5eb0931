import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { describe, expect, it, vi } from 'vitest';
import type { TestChatFormat } from '../src/testing/index.js';
import { startTestServer } from '../src/testing/index.js';
import { liveTimersOf, serverPerTest } from './support/test-server.js';

const { start, current, dispatcher } = serverPerTest();

const TEXT = 'héllo wörld ✓ 日本';
const userHi = [{ role: 'user', content: 'hello there' }];

/** Each format's route, headers and a streaming body with the given extra fields. */
const ROUTES: Record<
  TestChatFormat,
  { path: string; headers: Record<string, string>; body: (extra?: object) => object }
> = {
  openai: {
    path: '/v1/chat/completions',
    headers: {},
    body: (extra) => ({ messages: userHi, stream: true, ...extra }),
  },
  anthropic: {
    path: '/v1/messages',
    headers: { 'anthropic-version': '2023-06-01' },
    body: (extra) => ({ max_tokens: 100, messages: userHi, stream: true, ...extra }),
  },
  // Ollama streams by default: no stream field at all.
  ollama: { path: '/api/chat', headers: {}, body: (extra) => ({ messages: userHi, ...extra }) },
};
const FORMATS = Object.keys(ROUTES) as TestChatFormat[];

function open(format: TestChatFormat, extra?: object, signal?: AbortSignal) {
  const route = ROUTES[format];
  return request(`${current().origin}${route.path}`, {
    method: 'POST',
    dispatcher: dispatcher(),
    headers: { 'content-type': 'application/json', ...route.headers },
    body: JSON.stringify(route.body(extra)),
    signal,
  });
}

/** Reads a body as it arrives, decoding with a streaming TextDecoder; keeps what came before an error. */
async function readAll(body: AsyncIterable<Buffer>): Promise<{ text: string; error?: unknown }> {
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of body) text += decoder.decode(chunk, { stream: true });
    return { text: text + decoder.decode() };
  } catch (error) {
    return { text, error };
  }
}

interface SseEvent {
  event?: string;
  data: string;
}

/** Splits an SSE text into events; each must end with a blank line. */
function parseSse(text: string): SseEvent[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      const event: SseEvent = { data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) event.data = line.slice(6);
        else throw new Error(`unexpected SSE line ${JSON.stringify(line)}`);
      }
      return event;
    });
}

/** The content deltas of a stream of any format (in-stream errors and terminators skipped). */
function deltas(format: TestChatFormat, text: string): string[] {
  if (format === 'ollama') {
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { done?: boolean; message?: { content: string } })
      .filter((obj) => obj.done === false)
      .map((obj) => obj.message!.content);
  }
  const events = parseSse(text).filter((e) => e.data !== '[DONE]');
  const parsed = events.map((e) => JSON.parse(e.data) as Record<string, any>);
  if (format === 'anthropic') {
    return parsed.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.text);
  }
  return parsed
    .filter((e) => typeof e.choices?.[0]?.delta?.content === 'string')
    .filter((e) => !('role' in e.choices[0].delta))
    .map((e) => e.choices[0].delta.content);
}

/** The non-streamed text of the same request, for comparison. */
async function plainText(format: TestChatFormat, extra?: object): Promise<string> {
  const res = await open(format, { ...extra, stream: false });
  const json = (await res.body.json()) as Record<string, any>;
  if (format === 'openai') return json.choices[0].message.content;
  if (format === 'anthropic') return json.content[0].text;
  return json.message.content;
}

/** A raw HTTP/1.1 POST; returns the head and the exact HTTP chunks of a chunked body. */
function rawPost(
  path: string,
  body: object,
  headers: Record<string, string>,
): Promise<{ head: string; chunks: Buffer[]; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(current().port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (data) => received.push(data));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(received);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split).toString('latin1');
      const chunks: Buffer[] = [];
      let at = split + 4;
      for (;;) {
        const eol = all.indexOf('\r\n', at);
        if (eol < 0) return resolve({ head, chunks, complete: false });
        const size = parseInt(all.subarray(at, eol).toString('latin1'), 16);
        if (size === 0) return resolve({ head, chunks, complete: true });
        chunks.push(all.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
    });
    const payload = JSON.stringify(body);
    const lines = Object.entries({
      host: 'localhost',
      connection: 'close',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
      ...headers,
    }).map(([k, v]) => `${k}: ${v}`);
    socket.write(`POST ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${payload}`);
  });
}

describe('OpenAI stream', () => {
  it('sends the role chunk, one chunk per word, the finish chunk, usage and [DONE]', async () => {
    const s = await start({ reply: () => TEXT, model: 'served' });
    const res = await open('openai', { stream_options: { include_usage: true } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    const { text } = await readAll(res.body);
    const events = parseSse(text);
    expect(events.at(-1)).toEqual({ data: '[DONE]' });
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as Record<string, unknown>);
    const base = {
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: expect.any(Number),
      model: 'served',
    };
    const choice = (delta: object, finish: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    expect(chunks).toEqual([
      choice({ role: 'assistant', content: '' }),
      choice({ content: 'héllo ' }),
      choice({ content: 'wörld ' }),
      choice({ content: '✓ ' }),
      choice({ content: '日本' }),
      choice({}, 'stop'),
      { ...base, choices: [], usage: { prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 } },
    ]);
    expect(deltas('openai', text).join('')).toBe(await plainText('openai'));
    expect(s.streams).toBe(1);
    expect(s.stats).toMatchObject({ requests: 2, ok: 2 });
  });

  it('sends no usage chunk without include_usage and reports a max_tokens cut', async () => {
    await start({ reply: () => 'a b c d e' });
    const { text } = await readAll((await open('openai', { max_tokens: 3 })).body);
    const events = parseSse(text);
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as Record<string, any>);
    expect(chunks.every((c) => c.choices.length === 1 && !('usage' in c))).toBe(true);
    expect(chunks.at(-1)!.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'length' });
    expect(deltas('openai', text)).toEqual(['a ', 'b ', 'c']);
  });

  it('streams n choices one after the other, told apart by index', async () => {
    await start({ reply: () => 'x y' });
    const { text } = await readAll((await open('openai', { n: 2 })).body);
    const chunks = parseSse(text)
      .slice(0, -1)
      .map((e) => JSON.parse(e.data) as { choices: Array<{ index: number; delta: any }> });
    const byIndex = [0, 1].map((i) =>
      chunks
        .map((c) => c.choices[0]!)
        .filter((c) => c.index === i)
        .map((c) => c.delta.content ?? '')
        .join(''),
    );
    expect(byIndex).toEqual(['x y', 'x y #1']);
  });
});

describe('Anthropic stream', () => {
  it('sends the documented event sequence with usage', async () => {
    await start({ reply: () => TEXT, model: 'served' });
    const res = await open('anthropic', { system: 'short' });
    expect(res.headers['content-type']).toBe('text/event-stream');
    const { text } = await readAll(res.body);
    const events = parseSse(text).map((e) => ({ event: e.event, data: JSON.parse(e.data) }));
    for (const e of events) expect(e.data.type).toBe(e.event);
    const delta = (t: string) => ({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: t },
    });
    expect(events.map((e) => e.data)).toEqual([
      {
        type: 'message_start',
        message: {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'served',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 3, output_tokens: 1 },
        },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'ping' },
      delta('héllo '),
      delta('wörld '),
      delta('✓ '),
      delta('日本'),
      { type: 'content_block_stop', index: 0 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 4 },
      },
      { type: 'message_stop' },
    ]);
    expect(deltas('anthropic', text).join('')).toBe(await plainText('anthropic'));
  });

  it('reports a max_tokens cut in message_delta', async () => {
    await start({ reply: () => 'a b c d e' });
    const { text } = await readAll((await open('anthropic', { max_tokens: 2 })).body);
    expect(deltas('anthropic', text)).toEqual(['a ', 'b']);
    const messageDelta = parseSse(text).find((e) => e.event === 'message_delta')!;
    expect(JSON.parse(messageDelta.data)).toMatchObject({
      delta: { stop_reason: 'max_tokens' },
      usage: { output_tokens: 2 },
    });
  });
});

describe('Ollama stream', () => {
  it('streams NDJSON by default: one line per word, then the done line', async () => {
    const s = await start({ reply: () => TEXT, model: 'served' });
    const res = await open('ollama');
    expect(res.headers['content-type']).toBe('application/x-ndjson');
    const { text } = await readAll(res.body);
    expect(text.endsWith('}\n')).toBe(true);
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const head = { model: 'served', created_at: expect.any(String) };
    const part = (content: string) => ({
      ...head,
      message: { role: 'assistant', content },
      done: false,
    });
    const int = expect.any(Number);
    expect(lines).toEqual([
      part('héllo '),
      part('wörld '),
      part('✓ '),
      part('日本'),
      {
        ...head,
        message: { role: 'assistant', content: '' },
        done: true,
        done_reason: 'stop',
        total_duration: int,
        load_duration: int,
        prompt_eval_count: 2,
        prompt_eval_duration: int,
        eval_count: 4,
        eval_duration: int,
      },
    ]);
    expect(deltas('ollama', text).join('')).toBe(await plainText('ollama'));
    expect(s.lastRequest()!.stream).toBe(false);
    expect(s.streams).toBe(1);
  });

  it('cuts at num_predict with done_reason length', async () => {
    await start({ reply: () => 'a b c d e' });
    const { text } = await readAll((await open('ollama', { options: { num_predict: 2 } })).body);
    expect(deltas('ollama', text)).toEqual(['a ', 'b']);
    expect(JSON.parse(text.trimEnd().split('\n').at(-1)!)).toMatchObject({
      done: true,
      done_reason: 'length',
      eval_count: 2,
    });
  });
});

describe('stream options', () => {
  it.each(FORMATS)('%s: chunkWords groups words into deltas', async (format) => {
    await start({ reply: () => ' lead one two three four five ', chunkWords: 2 });
    const { text } = await readAll((await open(format)).body);
    expect(deltas(format, text)).toEqual([' lead one ', 'two three ', 'four five ']);
  });

  it('rejects a chunkWords or splitBytes that is not a positive integer', async () => {
    await expect(startTestServer({ chunkWords: 0 })).rejects.toThrow(RangeError);
    await expect(startTestServer({ splitBytes: 1.5 })).rejects.toThrow(RangeError);
  });

  it.each(FORMATS)('%s: splitBytes 1 splits every event byte by byte', async (format) => {
    await start({ reply: () => TEXT, splitBytes: 1 });
    const route = ROUTES[format];
    const { head, chunks, complete } = await rawPost(route.path, route.body(), route.headers);
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(complete).toBe(true);
    expect(chunks.every((c) => c.length === 1)).toBe(true);
    // Decoding chunk by chunk without carrying state would mangle the multi-byte characters.
    const naive = chunks.map((c) => c.toString('utf8')).join('');
    expect(naive).toContain('\uFFFD');
    const decoder = new TextDecoder();
    const text = chunks.map((c) => decoder.decode(c, { stream: true })).join('') + decoder.decode();
    expect(deltas(format, text).join('')).toBe(TEXT);
  });

  it.each(FORMATS)('%s: splitBytes reassembles through an HTTP client', async (format) => {
    await start({ reply: () => TEXT, splitBytes: 3 });
    const { text, error } = await readAll((await open(format)).body);
    expect(error).toBeUndefined();
    expect(deltas(format, text).join('')).toBe(TEXT);
  });
});

describe('stream faults', () => {
  const ERRORS: Record<TestChatFormat, (text: string) => unknown> = {
    openai: (text) => JSON.parse(parseSse(text).at(-1)!.data),
    anthropic: (text) => {
      const last = parseSse(text).at(-1)!;
      return { event: last.event, data: JSON.parse(last.data) };
    },
    ollama: (text) => JSON.parse(text.trimEnd().split('\n').at(-1)!),
  };
  const EXPECTED: Record<TestChatFormat, unknown> = {
    openai: { error: { message: expect.any(String), type: 'server_error' } },
    anthropic: {
      event: 'error',
      data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    },
    ollama: { error: expect.any(String) },
  };

  it.each(FORMATS)('%s: stream_error sends the in-stream error after N deltas', async (format) => {
    const s = await start({ reply: () => 'a b c d e' });
    s.inject({ kind: 'stream_error', afterDeltas: 2 }, { times: 1 });
    const res = await open(format, { stream_options: { include_usage: true } });
    expect(res.statusCode).toBe(200);
    const { text, error } = await readAll(res.body);
    expect(error).toBeUndefined();
    expect(deltas(format, text)).toEqual(['a ', 'b ']);
    expect(ERRORS[format](text)).toEqual(EXPECTED[format]);
    expect(text).not.toContain('[DONE]');
    expect(text).not.toContain('message_stop');
    expect(text).not.toContain('"done":true');
    expect(s.stats).toMatchObject({ ok: 0, faults: { stream_error: 1 } });
  });

  it.each(FORMATS)('%s: stream_error after more deltas than exist', async (format) => {
    const s = await start({ reply: () => 'a b' });
    s.inject({ kind: 'stream_error', afterDeltas: 10 }, { times: 1 });
    const { text } = await readAll((await open(format)).body);
    expect(deltas(format, text)).toEqual(['a ', 'b']);
    expect(ERRORS[format](text)).toEqual(EXPECTED[format]);
  });

  it.each(FORMATS)('%s: stream_cut destroys the socket after N deltas', async (format) => {
    const s = await start({ reply: () => 'a b c d e' });
    s.inject({ kind: 'stream_cut', afterDeltas: 3 }, { times: 1 });
    const res = await open(format);
    expect(res.statusCode).toBe(200);
    const { text, error } = await readAll(res.body);
    expect(error).toBeInstanceOf(Error);
    expect(deltas(format, text.endsWith('\n') ? text : `${text}\n`)).toEqual(['a ', 'b ', 'c ']);
    expect(s.stats).toMatchObject({ ok: 0, faults: { stream_cut: 1 } });
    // The raw view: the chunked body never gets its terminating zero-size chunk.
    s.inject({ kind: 'stream_cut', afterDeltas: 0 }, { times: 1 });
    const route = ROUTES[format];
    const raw = await rawPost(route.path, route.body(), route.headers);
    expect(raw.head).toMatch(/^HTTP\/1\.1 200/);
    expect(raw.complete).toBe(false);
  });

  it('truncated on a stream cuts it after half the deltas', async () => {
    const s = await start({ reply: () => 'a b c d e f' });
    s.inject({ kind: 'truncated' });
    const { text, error } = await readAll((await open('ollama')).body);
    expect(error).toBeInstanceOf(Error);
    expect(deltas('ollama', text)).toEqual(['a ', 'b ', 'c ']);
    expect(s.stats.faults.truncated).toBe(1);
  });

  it.each(FORMATS)('%s: malformed on a stream sends an event that is not JSON', async (format) => {
    const s = await start();
    s.inject({ kind: 'malformed' });
    const res = await open(format);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(
      format === 'ollama' ? 'application/x-ndjson' : 'text/event-stream',
    );
    const { text } = await readAll(res.body);
    expect(() => deltas(format, text)).toThrow(SyntaxError);
  });

  it.each(FORMATS)('%s: status answers before the stream, in the route shape', async (format) => {
    const s = await start();
    s.inject({ kind: 'status', status: 429, retryAfter: 1 }, { times: 1 });
    const res = await open(format);
    expect(res.statusCode).toBe(429);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['retry-after']).toBe('1');
    const body = (await res.body.json()) as Record<string, any>;
    const message = format === 'ollama' ? body.error : body.error.message;
    expect(message).toContain('429');
    if (format === 'anthropic') expect(body.error.type).toBe('rate_limit_error');
    if (format === 'openai') expect(body.error.type).toBe('rate_limit_exceeded');
    expect(s.streams).toBe(1);
  });

  it('stream-only faults skip non-streamed requests and wait for a stream', async () => {
    const s = await start({ reply: () => 'a b c' });
    s.inject({ kind: 'stream_cut', afterDeltas: 1 }, { times: 1 });
    s.inject({ kind: 'status', status: 500 }, { times: 1 });
    // The stream-only rule does not apply, so the next rule does.
    const plain = await open('openai', { stream: false });
    expect(plain.statusCode).toBe(500);
    await plain.body.dump();
    expect(await plainText('anthropic')).toBe('a b c');
    expect(s.stats.faults).toMatchObject({ status: 1, stream_cut: 0 });
    const { error } = await readAll((await open('anthropic')).body);
    expect(error).toBeInstanceOf(Error);
    expect(s.stats.faults.stream_cut).toBe(1);
    expect(() => s.inject({ kind: 'stream_cut', afterDeltas: -1 })).toThrow(RangeError);
  });

  it('latency delays the first byte and trickle spaces the events', async () => {
    const s = await start({ reply: () => 'a b c d' });
    s.inject({ kind: 'latency', ms: 80 }, { times: 1 });
    let started = performance.now();
    const late = await open('openai');
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    expect(deltas('openai', (await readAll(late.body)).text)).toHaveLength(4);

    s.inject({ kind: 'trickle', chunkDelayMs: 15 }, { times: 1 });
    started = performance.now();
    const res = await open('anthropic');
    const arrivals: number[] = [];
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of res.body) {
      arrivals.push(performance.now() - started);
      text += decoder.decode(chunk as Buffer, { stream: true });
    }
    // 10 events, 9 gaps of 15 ms.
    expect(arrivals.at(-1)!).toBeGreaterThanOrEqual(9 * 15 - 5);
    expect(arrivals.length).toBeGreaterThan(5);
    expect(deltas('anthropic', text).join('')).toBe('a b c d');
    expect(s.stats).toMatchObject({ ok: 2, faults: { latency: 1, trickle: 1 } });
  });

  it('stream delays use real timers even under fake timers', async () => {
    const s = await start({ reply: () => 'a b c' });
    s.inject({ kind: 'trickle', chunkDelayMs: 10 }, { times: 1 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const started = performance.now();
    const { text, error } = await readAll((await open('ollama')).body);
    expect(error).toBeUndefined();
    expect(deltas('ollama', text).join('')).toBe('a b c');
    expect(performance.now() - started).toBeGreaterThanOrEqual(3 * 10 - 2);
    expect(s.stats.ok).toBe(1);
  });

  it('hang sends no headers on a stream until the client aborts', async () => {
    const s = await start();
    s.inject({ kind: 'hang' });
    const controller = new AbortController();
    const pending = open('ollama', undefined, controller.signal);
    await s.waitForRequests(1);
    const raced = await Promise.race([
      pending.then(
        () => 'answered',
        () => 'failed',
      ),
      new Promise((resolve) => setTimeout(resolve, 50, 'waiting')),
    ]);
    expect(raced).toBe('waiting');
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('stream cleanup', () => {
  it.each(FORMATS)('%s: a client abort mid-stream clears the trickle timer', async (format) => {
    const s = await start({ reply: () => 'a b c d' });
    const ms = 59_998;
    s.inject({ kind: 'trickle', chunkDelayMs: ms });
    const timers = liveTimersOf(ms);
    try {
      const route = ROUTES[format];
      const req = httpRequest(`${s.origin}${route.path}`, {
        method: 'POST',
        headers: route.headers,
      });
      req.on('error', () => {});
      const firstData = new Promise<Buffer>((resolve) =>
        req.on('response', (res) => res.once('data', resolve)),
      );
      req.end(JSON.stringify(route.body()));
      expect((await firstData).length).toBeGreaterThan(0);
      expect(timers.count()).toBe(1);
      req.destroy();
      // Polls rather than sleeping a fixed time, as the server sees the close later under load.
      await vi.waitFor(() => expect(timers.count()).toBe(0), { timeout: 2_000, interval: 10 });
      expect(s.stats.ok).toBe(0);
    } finally {
      timers.stop();
    }
  });

  it('close() mid-stream resolves promptly and ends the client stream with an error', async () => {
    const s = await start({ reply: () => 'a b c d' });
    s.inject({ kind: 'trickle', chunkDelayMs: 60_000 });
    const res = await open('openai');
    const reading = readAll(res.body);
    const started = performance.now();
    await s.close();
    expect(performance.now() - started).toBeLessThan(500);
    const { text, error } = await reading;
    expect(error).toBeInstanceOf(Error);
    expect(text).toContain('"role":"assistant"');
  });
});
