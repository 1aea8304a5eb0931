import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRuntime, type Runtime } from '../src/index.js';
import { HIGH_WATER_CHUNKS, StreamChannel } from '../src/client/stream.js';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';

const PIECE = 'x'.repeat(1000);
const event = `data: ${JSON.stringify({ model: 'm', choices: [{ index: 0, delta: { content: PIECE } }] })}\n\n`;
const TAIL = `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;
/** Far more than the loopback socket buffers on both sides can hold. */
const EVENTS = 16_000;

let server: Server | undefined;
let runtime: Runtime | undefined;

/**
 * An upstream that writes `EVENTS` deltas as fast as its socket takes them, waiting for 'drain'
 * whenever a write is refused. `stalled` resolves once a wait for 'drain' has lasted 300 ms: the
 * client has stopped reading.
 */
async function upstream() {
  const state = { written: 0, finished: false, closed: false, stalled: undefined as unknown };
  let onStall!: () => void;
  state.stalled = new Promise<void>((resolve) => (onStall = resolve));
  const write = async (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const closed = new Promise((resolve) => res.once('close', resolve));
    void closed.then(() => (state.closed = true));
    for (let i = 0; i < EVENTS && !res.destroyed; i++) {
      state.written++;
      if (res.write(event)) continue;
      const timer = setTimeout(onStall, 300);
      await Promise.race([new Promise((resolve) => res.once('drain', resolve)), closed]);
      clearTimeout(timer);
    }
    res.end(TAIL);
    state.finished = true;
  };
  server = createServer((req, res) => {
    req.resume().on('end', () => void write(res));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, state: state as typeof state & { stalled: Promise<void> } };
}

async function start(baseUrl: string): Promise<Runtime> {
  runtime = await createRuntime({
    clients: { c: { provider: 'openai', baseUrl, model: 'm', cache: false } },
    logger: false,
  });
  return runtime;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await runtime?.stop({ timeoutMs: 0 });
  runtime = undefined;
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('back-pressure', () => {
  it('stops reading the upstream while the consumer is behind, and delivers everything after', async () => {
    const { url, state } = await upstream();
    const delivered = vi.spyOn(StreamChannel.prototype, 'delta');
    const rt = await start(url);
    const s = rt.stream('c', hi);
    const iterator = s[Symbol.asyncIterator]();
    let text = '';
    for (let i = 0; i < 5; i++) text += (await iterator.next()).value.text;
    await state.stalled;
    // The upstream is blocked well short of its stream, and the runtime holds no more than the
    // high-water mark of it unread.
    expect(state.finished).toBe(false);
    expect(state.written).toBeLessThan(EVENTS / 2);
    expect(delivered.mock.calls.length - 5).toBeLessThanOrEqual(HIGH_WATER_CHUNKS);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      text += next.value.text;
    }
    expect(state.finished).toBe(true);
    expect(text).toBe(PIECE.repeat(EVENTS));
    expect((await s.completion).text.length).toBe(PIECE.length * EVENTS);
  });

  it('cancels a stream held back by a consumer that stopped reading', async () => {
    const { url, state } = await upstream();
    const rt = await start(url);
    const s = rt.stream('c', hi);
    await s[Symbol.asyncIterator]().next();
    await state.stalled;
    s.cancel();
    expect((await failure(s.completion)).code).toBe('ABORTED');
    await vi.waitFor(() => expect(state.closed).toBe(true));
    expect(rt.health('c').requests.inFlight).toBe(0);
  });

  it('never holds back a caller that only awaits the completion', async () => {
    const { url, state } = await upstream();
    const rt = await start(url);
    const completion = await rt.stream('c', hi).completion;
    expect(completion.text.length).toBe(PIECE.length * EVENTS);
    expect(state.finished).toBe(true);
  });
});
