/**
 * Several choices (`n > 1`) streamed through the gateway: each choice's text stays its own, in
 * OpenAI's chunk shape, and the cached answer serves the same choices to a later plain call.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { gatewayPerTest } from './support/gateway.js';

const gw = gatewayPerTest();

/** An OpenAI-compatible upstream that streams two choices, their chunks interleaved. */
async function twoChoiceUpstream(): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (index: number, delta: object, finish: string | null = null) =>
        `data: ${JSON.stringify({
          id: 'c',
          object: 'chat.completion.chunk',
          model: 'm',
          choices: [{ index, delta, finish_reason: finish }],
        })}\n\n`;
      res.write(chunk(0, { role: 'assistant', content: '' }) + chunk(1, { role: 'assistant' }));
      res.write(chunk(0, { content: 'red ' }) + chunk(1, { content: 'blue ' }));
      res.write(chunk(1, { content: 'sky' }) + chunk(0, { content: 'apple' }));
      res.write(chunk(0, {}, 'stop') + chunk(1, {}, 'length'));
      res.write(
        `data: ${JSON.stringify({
          id: 'c',
          object: 'chat.completion.chunk',
          model: 'm',
          choices: [],
          usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
        })}\n\n`,
      );
      res.end('data: [DONE]\n\n');
    });
  });
  gw.track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

describe('n > 1 through the gateway', () => {
  it('keeps each streamed choice apart, and a later plain call gets the same choices', async () => {
    const baseUrl = await twoChoiceUpstream();
    const gateway = await gw.start({ gpt: { provider: 'openai', baseUrl, model: 'm' } });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const ask = { model: 'gpt', n: 2, messages: [{ role: 'user' as const, content: 'colours' }] };
    const texts = ['', ''];
    const finishes: (string | null)[] = [null, null];
    for await (const chunk of await client.chat.completions.create({ ...ask, stream: true })) {
      for (const choice of chunk.choices) {
        texts[choice.index] += choice.delta.content ?? '';
        if (choice.finish_reason) finishes[choice.index] = choice.finish_reason;
      }
    }
    expect(texts).toEqual(['red apple', 'blue sky']);
    expect(finishes).toEqual(['stop', 'length']);
    const plain = await client.chat.completions.create(ask);
    expect(plain.choices.map((c) => c.message.content)).toEqual(['red apple', 'blue sky']);
    expect(plain.choices.map((c) => c.finish_reason)).toEqual(['stop', 'length']);
  });
});
