/**
 * A caller of the gateway that does not read its stream holds the stream back, up to the
 * upstream: the gateway waits for the caller's socket to drain instead of rewriting every delta
 * into its buffers (four such callers held 750 MB). When the caller reads again it gets the
 * whole answer.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayPerTest } from './support/gateway.js';
import { rawUpstream, type RawUpstream } from './support/raw-upstream.js';

const DELTAS = 100_000;
const TEXT = 'x'.repeat(256);
const EVENT = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: TEXT } }] })}\n\n`;
const TAIL = `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;

const under = gatewayPerTest();
let raw: RawUpstream | undefined;
afterEach(async () => {
  await raw?.close();
  raw = undefined;
});

/** Resolves once `read()` has not changed for `quietMs` (real I/O is what moves it). */
async function stalled(read: () => number, quietMs: number): Promise<void> {
  let last = -1;
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    if (read() !== last) [last, since] = [read(), Date.now()];
  }
}

describe('a gateway stream whose caller does not read', () => {
  it('stops reading its upstream, and the caller later gets every delta', async () => {
    let sent = 0;
    raw = await rawUpstream(async (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const closed = new Promise((resolve) => res.once('close', resolve));
      for (let i = 0; i < DELTAS && !res.destroyed; i++) {
        sent += EVENT.length;
        if (!res.write(EVENT)) {
          await Promise.race([new Promise((resolve) => res.once('drain', resolve)), closed]);
        }
      }
      res.end(TAIL);
    });
    const gateway = await under.start({
      c: {
        provider: 'openai',
        baseUrl: raw.url,
        model: 'm',
        cache: false,
        timeoutMs: 60_000,
        maxResponseBytes: 64 * 1024 * 1024,
      },
    });
    const answer = await new Promise<IncomingMessage>((resolve) => {
      const req = httpRequest(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });
      req.on('response', resolve);
      req.end(
        JSON.stringify({ model: 'c', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      );
    });
    answer.pause();
    await stalled(() => sent, 300);
    expect(sent).toBeLessThan((DELTAS * EVENT.length) / 2);

    let text = '';
    let rest = '';
    for await (const piece of answer) {
      const lines = (rest + String(piece)).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('data: {')) continue;
        const chunk = JSON.parse(line.slice(6));
        expect(chunk.error).toBeUndefined();
        text += chunk.choices[0]?.delta?.content ?? '';
      }
    }
    expect(text.length).toBe(DELTAS * TEXT.length);
  });
});
