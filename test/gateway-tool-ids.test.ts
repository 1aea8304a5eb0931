/**
 * Tool calls from a provider that sends them without ids (some OpenAI-compatible servers do),
 * through the gateway: every call reaches the caller with an id — plain, streamed (where the
 * official SDK's stream helper refuses a call without one) and through the Responses API.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { gatewayPerTest } from './support/gateway.js';
import { weather } from './support/tools.js';

const gw = gatewayPerTest();

const idless = (args: string) => ({
  type: 'function',
  function: { name: 'weather', arguments: args },
});

/** An upstream whose tool calls carry no id: two calls, plain or streamed. */
async function idlessUpstream(): Promise<string> {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw) as { stream?: boolean };
      if (body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        const message = {
          role: 'assistant',
          content: null,
          tool_calls: [idless('{"city":"Paris"}'), idless('{"city":"Rome"}')],
        };
        const choice = { index: 0, message, finish_reason: 'tool_calls' };
        res.end(JSON.stringify({ id: 'x', model: 'm', choices: [choice], usage: undefined }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: object, finish: string | null = null) =>
        `data: ${JSON.stringify({ id: 'x', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: null }));
      for (const [index, city] of ['Paris', 'Rome'].entries()) {
        const first = { index, type: 'function', function: { name: 'weather', arguments: '' } };
        res.write(chunk({ tool_calls: [first] }));
        const rest = { index, function: { arguments: `{"city":"${city}"}` } };
        res.write(chunk({ tool_calls: [rest] }));
      }
      res.end(chunk({}, 'tool_calls') + 'data: [DONE]\n\n');
    });
  });
  gw.track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

async function sdk(): Promise<OpenAI> {
  const baseUrl = await idlessUpstream();
  const gateway = await gw.start({ gpt: { provider: 'openai', baseUrl, model: 'm' } });
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
}

const ask = {
  model: 'gpt',
  messages: [{ role: 'user' as const, content: 'Weather?' }],
  tools: [weather],
};

describe('tool calls a provider sent without ids', () => {
  it('get distinct ids in a chat completion, the same ones for the same prompt', async () => {
    const client = await sdk();
    const first = await client.chat.completions.create(ask);
    const ids = first.choices[0]!.message.tool_calls!.map((c) => c.id);
    expect(ids).toHaveLength(2);
    expect(ids.every((id) => /^call_\w+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(2);
    // A cached answer gets the same ids (a repeated tool loop still matches its results).
    const again = await client.chat.completions.create(ask);
    expect(again.choices[0]!.message.tool_calls!.map((c) => c.id)).toEqual(ids);
  });

  it('get an id on each call streamed, so the SDK stream helper assembles them', async () => {
    const client = await sdk();
    const stream = client.chat.completions.stream({ ...ask, stream: true });
    const final = await stream.finalChatCompletion();
    const calls = final.choices[0]!.message.tool_calls!;
    expect(calls.map((c) => c.type === 'function' && c.function.arguments)).toEqual([
      '{"city":"Paris"}',
      '{"city":"Rome"}',
    ]);
    expect(calls.every((c) => c.id.startsWith('call_'))).toBe(true);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
  });

  it('get a call_id on each function_call item of the Responses API, plain and streamed', async () => {
    const client = await sdk();
    const tools = [
      {
        type: 'function' as const,
        name: 'weather',
        parameters: weather.function.parameters,
        strict: false,
      },
    ];
    const plain = await client.responses.create({ model: 'gpt', input: 'Weather?', tools });
    const plainIds = plain.output.flatMap((i) => (i.type === 'function_call' ? [i.call_id] : []));
    expect(plainIds).toHaveLength(2);
    expect(plainIds.every((id) => id.startsWith('call_'))).toBe(true);
    const streamed = await client.responses
      .stream({ model: 'gpt', input: 'Weather?', tools, stream: true })
      .finalResponse();
    const streamedIds = streamed.output.flatMap((i) =>
      i.type === 'function_call' ? [i.call_id] : [],
    );
    expect(streamedIds).toHaveLength(2);
    expect(streamedIds.every((id) => id.startsWith('call_'))).toBe(true);
  });
});
