/**
 * Upstreams that never stop sending: a 200 whose body never ends, a body announced as 1 TiB, a
 * 500 with an endless body, an SSE line or an NDJSON line that never ends, and a stream of
 * deltas that never finishes. Each request must fail at its limit with BAD_RESPONSE naming the
 * limit, without a retry, with the upstream connection dropped and the heap bounded — never
 * after reading whatever the upstream chose to send.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ClientConfig, Runtime } from '../src/index.js';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Where every "endless" upstream gives up: far past every limit under test. */
const CAP = 64 * MiB;
const PIECE = 'a'.repeat(64 * KiB);

interface Upstream {
  url: string;
  /** Requests received. */
  requests: number;
  /** Bytes of body written so far. */
  written: number;
  /** The connection closed before the upstream had written `CAP` bytes. */
  cutShort: boolean;
  /** The most heap and buffer memory seen while writing, over the figure before the request. */
  growth: number;
  /** Resolves when the last response's connection has closed. */
  closed: Promise<void>;
}

let server: Server | undefined;
const { start } = runtimePerTest(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

function memory(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/**
 * An upstream that answers `status` with `head`, then `piece` again and again as fast as the
 * connection takes it (waiting for 'drain'), until `CAP` bytes or the connection closes.
 */
async function endless(
  status: number,
  headers: Record<string, string | number>,
  head: string,
  piece = PIECE,
): Promise<Upstream> {
  const baseline = memory();
  let onClosed!: () => void;
  const up: Upstream = {
    url: '',
    requests: 0,
    written: 0,
    cutShort: false,
    growth: 0,
    closed: new Promise((resolve) => (onClosed = resolve)),
  };
  const write = async (res: ServerResponse) => {
    res.writeHead(status, headers);
    const closed = new Promise<void>((resolve) => res.once('close', resolve));
    void closed.then(() => {
      up.cutShort = up.written < CAP;
      onClosed();
    });
    res.write(head);
    while (!res.destroyed && up.written < CAP) {
      up.written += piece.length;
      up.growth = Math.max(up.growth, memory() - baseline);
      if (!res.write(piece)) {
        await Promise.race([new Promise((resolve) => res.once('drain', resolve)), closed]);
      }
    }
    res.end();
  };
  server = createServer((req: IncomingMessage, res) => {
    up.requests++;
    req.resume().on('end', () => void write(res));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  up.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return up;
}

async function client(url: string, fields: Partial<ClientConfig> = {}): Promise<Runtime> {
  return start({
    clients: {
      c: {
        provider: 'openai',
        baseUrl: url,
        model: 'm',
        cache: false,
        retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
        ...fields,
      } as ClientConfig,
    },
  });
}

const JSON_HEAD = '{"choices":[{"message":{"role":"assistant","content":"';
const SSE = { 'content-type': 'text/event-stream' };

describe('an answer that never ends', () => {
  it('fails a 200 body past the default 16 MiB with BAD_RESPONSE naming maxResponseBytes, once', async () => {
    const up = await endless(200, { 'content-type': 'application/json' }, JSON_HEAD);
    const runtime = await client(up.url);
    const e = await failure(runtime.request('c', hi));
    expect(e).toMatchObject({ code: 'BAD_RESPONSE', retryable: false });
    expect(e.message).toMatch(/larger than maxResponseBytes \(16777216 bytes\)/);
    await up.closed;
    expect(up.cutShort).toBe(true);
    expect(up.requests).toBe(1);
    // An oversize answer is the provider's fault: it counts against the fuse.
    expect(runtime.health('c').fuse.failures).toBe(1);
  });

  it('keeps the heap bounded by the limit it is given, and drops the connection', async () => {
    const up = await endless(200, { 'content-type': 'application/json' }, JSON_HEAD);
    const runtime = await client(up.url, { maxResponseBytes: MiB });
    const e = await failure(runtime.request('c', hi));
    expect(e.code).toBe('BAD_RESPONSE');
    expect(e.message).toMatch(/maxResponseBytes \(1048576 bytes\)/);
    await up.closed;
    expect(up.cutShort).toBe(true);
    // 1 MiB held at most, plus what the sockets buffer and garbage not yet collected.
    expect(up.growth).toBeLessThan(32 * MiB);
  });

  it('fails at the headers when content-length announces more than the limit', async () => {
    // The upstream announces 1 TiB and sends nothing: only the headers can fail it in time.
    let onRequest!: () => void;
    const requested = new Promise<void>((resolve) => (onRequest = resolve));
    server = createServer((req, res) => {
      req.resume().on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 ** 40 });
        res.flushHeaders();
        onRequest();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const runtime = await client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      timeoutMs: 60_000,
    });
    const e = await failure(runtime.request('c', hi));
    await requested;
    expect(e.code).toBe('BAD_RESPONSE');
    expect(e.message).toMatch(/maxResponseBytes/);
  });

  it('fails a 500 whose body never ends without retrying it, keeping only its head', async () => {
    const up = await endless(500, { 'content-type': 'application/json' }, '{"error":{"message":"');
    const runtime = await client(up.url, { maxResponseBytes: MiB });
    const e = await failure(runtime.request('c', hi));
    expect(e).toMatchObject({ code: 'BAD_RESPONSE', retryable: false });
    expect(e.message).toMatch(/the HTTP 500 body is larger than maxResponseBytes/);
    await up.closed;
    expect(up.cutShort).toBe(true);
    expect(up.requests).toBe(1);
    expect(up.growth).toBeLessThan(32 * MiB);
  });

  it('still reads a large error body under the limit as the provider error it is', async () => {
    const message = 'x'.repeat(200 * KiB);
    server = createServer((req, res) => {
      req.resume().on('end', () => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `too long ${message}` } }));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const runtime = await client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const e = await failure(runtime.request('c', hi));
    expect(e).toMatchObject({ code: 'PROVIDER_ERROR', status: 400, retryable: false });
    expect(e.body!.length).toBeLessThanOrEqual(500);
  });
});

describe('a stream that never ends', () => {
  it('fails an SSE line that never ends at the default 1 MiB with BAD_RESPONSE naming maxEventBytes', async () => {
    const up = await endless(200, SSE, 'data: {"choices":[{"index":0,"delta":{"content":"');
    const runtime = await client(up.url);
    const s = runtime.stream('c', hi);
    const e = await failure(s.completion);
    expect(e).toMatchObject({ code: 'BAD_RESPONSE', retryable: false });
    expect(e.message).toMatch(/a stream event is larger than maxEventBytes \(1048576 bytes\)/);
    await up.closed;
    expect(up.cutShort).toBe(true);
    expect(up.requests).toBe(1);
    expect(up.growth).toBeLessThan(32 * MiB);
  });

  it('fails an event of data lines that never ends, as one event too long', async () => {
    const up = await endless(200, SSE, '', `data: ${'b'.repeat(1000)}\n`);
    const runtime = await client(up.url, { maxEventBytes: 64 * KiB });
    const e = await failure(runtime.stream('c', hi).completion);
    expect(e.code).toBe('BAD_RESPONSE');
    expect(e.message).toMatch(/maxEventBytes \(65536 bytes\)/);
    await up.closed;
    expect(up.cutShort).toBe(true);
  });

  it('fails an NDJSON line that never ends (ollama)', async () => {
    const up = await endless(
      200,
      { 'content-type': 'application/x-ndjson' },
      '{"message":{"content":"',
    );
    const runtime = await client(up.url, { provider: 'ollama', maxEventBytes: 64 * KiB });
    const e = await failure(runtime.stream('c', hi).completion);
    expect(e.code).toBe('BAD_RESPONSE');
    expect(e.message).toMatch(/maxEventBytes \(65536 bytes\)/);
    await up.closed;
    expect(up.cutShort).toBe(true);
  });

  it('fails a stream of deltas that never finishes once its text passes maxResponseBytes', async () => {
    const delta = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'c'.repeat(16 * KiB) } }] })}\n\n`;
    const up = await endless(200, SSE, '', delta);
    const runtime = await client(up.url, { maxResponseBytes: MiB });
    const s = runtime.stream('c', hi);
    let received = 0;
    const e = await failure(
      (async () => {
        for await (const chunk of s) received += chunk.text.length;
      })(),
    );
    expect(e.code).toBe('BAD_RESPONSE');
    expect(e.message).toMatch(/the streamed answer is larger than maxResponseBytes \(1048576/);
    expect(received).toBeLessThanOrEqual(MiB);
    await up.closed;
    expect(up.cutShort).toBe(true);
    expect(up.requests).toBe(1);
  });

  it('still streams an answer of many events whose text is under the limit', async () => {
    const delta = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'd'.repeat(KiB) } }] })}\n\n`;
    const done = `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;
    server = createServer((req, res) => {
      req.resume().on('end', () => {
        res.writeHead(200, SSE);
        res.end(delta.repeat(1000) + done);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    // The wire carries more than maxResponseBytes (the JSON around each delta); the text does not.
    const runtime = await client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      maxResponseBytes: 1000 * KiB + 1,
    });
    const completion = await runtime.stream('c', hi).completion;
    expect(completion.text.length).toBe(1000 * KiB);
  });
});
