/**
 * Streams whose events carry no text but still pile up in the answer: tool calls with a name
 * (or id) of nearly an event each — 1024 calls of 1 MiB names — token logprobs with no text,
 * and Anthropic thinking signatures, forever. Each must fail at `maxResponseBytes` with
 * BAD_RESPONSE, in every wire format, long before the upstream is done writing.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../src/index.js';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

const MiB = 1024 * 1024;
/** Events an upstream writes at most: 64 MiB of them, far past the 1 MiB limit under test. */
const EVENTS = 256;
const BIG = 'n'.repeat(256 * 1024);

let server: Server | undefined;
const runtimes = runtimePerTest(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** How many events the upstream wrote before its connection closed. */
interface Written {
  events: number;
}

/** An upstream that writes `event(i)` for i = 0… as fast as the socket takes it. */
async function flooding(type: string, event: (i: number) => string): Promise<[string, Written]> {
  const written: Written = { events: 0 };
  server = createServer((req, res: ServerResponse) => {
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': type });
      const closed = new Promise((resolve) => res.once('close', resolve));
      while (!res.destroyed && written.events < EVENTS) {
        if (!res.write(event(written.events++))) {
          await Promise.race([new Promise((resolve) => res.once('drain', resolve)), closed]);
        }
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return [`http://127.0.0.1:${(server.address() as AddressInfo).port}`, written];
}

function start(provider: 'openai' | 'anthropic' | 'ollama', baseUrl: string): Promise<Runtime> {
  return runtimes.start({
    clients: { c: { provider, baseUrl, model: 'm', retry: false, maxResponseBytes: MiB } },
  });
}

async function expectBounded(runtime: Runtime, written: Written): Promise<void> {
  const s = runtime.stream('c', hi);
  const error = await failure(s.completion);
  expect(error.code).toBe('BAD_RESPONSE');
  expect(error.message).toContain('maxResponseBytes (1048576 bytes)');
  expect(written.events).toBeLessThan(EVENTS);
}

const sse = (data: object) => `data: ${JSON.stringify(data)}\n\n`;

describe('what a stream holds besides text counts against maxResponseBytes', () => {
  it('OpenAI tool calls with huge names fail at the limit', async () => {
    const [url, written] = await flooding('text/event-stream', (i) =>
      sse({
        choices: [
          { index: 0, delta: { tool_calls: [{ index: i, id: BIG, function: { name: BIG } }] } },
        ],
      }),
    );
    await expectBounded(await start('openai', url), written);
  });

  it('Anthropic tool_use blocks with huge names fail at the limit', async () => {
    const [url, written] = await flooding('text/event-stream', (i) =>
      i === 0
        ? `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { model: 'c', usage: {} } })}\n\n`
        : `event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: i - 1, content_block: { type: 'tool_use', id: 't', name: BIG, input: {} } })}\n\n`,
    );
    await expectBounded(await start('anthropic', url), written);
  });

  it('Anthropic signature deltas without thinking fail at the limit', async () => {
    const head =
      `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { model: 'c', usage: {} } })}\n\n` +
      `event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } })}\n\n`;
    const [url, written] = await flooding('text/event-stream', (i) =>
      i === 0
        ? head
        : `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: BIG } })}\n\n`,
    );
    await expectBounded(await start('anthropic', url), written);
  });

  it('Ollama tool calls with huge names fail at the limit', async () => {
    const [url, written] = await flooding(
      'application/x-ndjson',
      () =>
        JSON.stringify({
          message: { content: '', tool_calls: [{ function: { name: BIG, arguments: {} } }] },
          done: false,
        }) + '\n',
    );
    await expectBounded(await start('ollama', url), written);
  });

  it('OpenAI logprobs without text fail at the limit', async () => {
    const tokens = Array.from({ length: 10_000 }, () => ({ token: '', logprob: 0 }));
    const [url, written] = await flooding('text/event-stream', () =>
      sse({ choices: [{ index: 0, delta: {}, logprobs: { content: tokens } }] }),
    );
    await expectBounded(await start('openai', url), written);
  });
});
