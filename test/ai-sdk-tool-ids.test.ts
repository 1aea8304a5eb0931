/**
 * Tool calls that come without an id (as some OpenAI-compatible servers send them) through the
 * AI SDK adapter: the streamed tool input, the call and its result share one id, each step's
 * calls get their own, and a repeated loop still hits the cache.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLanguageModel } from '../src/adapters/ai-sdk/index.js';
import type { Runtime } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { runtimePerTest } from './support/runtime.js';

let server: TestServer | undefined;
let raw: Server | undefined;

const runtimes = runtimePerTest(async () => {
  await server?.close();
  server = undefined;
  raw?.closeAllConnections();
  await new Promise((resolve) => raw?.close(resolve) ?? resolve(undefined));
  raw = undefined;
});

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: ({ city }) => Promise.resolve(`sunny in ${city}`),
});

/** Calls the weather tool for Oslo, then for Bern, then answers; no call has an id. */
async function startAnonymous(): Promise<Runtime> {
  server = await startTestServer();
  server.setScript((req) => {
    const results = req.messages.filter((m) => m.role === 'tool').length;
    if (results === 2) return { text: 'Sunny in both.' };
    const city = results === 0 ? 'Oslo' : 'Bern';
    return { toolCalls: [{ id: '', name: 'weather', arguments: { city } }] };
  });
  return runtimes.start({
    clients: { m: { provider: 'openai', baseUrl: server.url, model: 'gpt-test', retry: false } },
  });
}

const loop = (rt: Runtime) => ({
  model: createLanguageModel(rt, 'm'),
  tools: { weather },
  stopWhen: stepCountIs(4),
  prompt: 'Weather in Oslo and Bern?',
});

/** The ids of each kind of tool part of a stream, in order. */
async function streamedIds(rt: Runtime): Promise<Record<string, string[]>> {
  const ids: Record<string, string[]> = { start: [], end: [], call: [], result: [] };
  for await (const part of streamText(loop(rt)).fullStream) {
    if (part.type === 'tool-input-start') ids.start!.push(part.id);
    if (part.type === 'tool-input-end') ids.end!.push(part.id);
    if (part.type === 'tool-call') ids.call!.push(part.toolCallId);
    if (part.type === 'tool-result') ids.result!.push(part.toolCallId);
  }
  return ids;
}

describe('tool calls without an id', () => {
  it('streams the input, the call and its result under one invented id per call', async () => {
    const rt = await startAnonymous();
    const ids = await streamedIds(rt);
    expect(ids.start).toHaveLength(2);
    expect(ids.start![0]).not.toBe(ids.start![1]);
    expect(ids.start![0]).toMatch(/^call_[0-9a-f]{16}_0$/);
    for (const kind of ['end', 'call', 'result']) expect(ids[kind]).toEqual(ids.start);
    // The last request sends each call and its result back under the same id.
    const history = server!.lastRequest()!.messages;
    expect(history.filter((m) => m.role === 'assistant').map((m) => m.toolCalls?.[0]?.id)).toEqual(
      ids.start,
    );
    expect(history.filter((m) => m.role === 'tool').map((m) => m.toolCallId)).toEqual(ids.start);
    expect(server!.streams).toBe(3);
    // The same loop again gets the same ids, so every step is answered from the cache.
    expect(await streamedIds(rt)).toEqual(ids);
    expect(server!.streams).toBe(3);
  });

  it('gives the calls of a non-streamed loop the ids the streamed one got', async () => {
    const rt = await startAnonymous();
    const streamed = await streamedIds(rt);
    const result = await generateText(loop(rt));
    expect(result.text).toBe('Sunny in both.');
    expect(result.steps.flatMap((s) => s.toolCalls.map((c) => c.toolCallId))).toEqual(
      streamed.call,
    );
    expect(result.steps.flatMap((s) => s.toolResults.map((r) => r.toolCallId))).toEqual(
      streamed.call,
    );
  });

  it('keeps the id the input started with when the provider names the call later', async () => {
    raw = createServer((req, res) => {
      req.resume();
      const chunk = (delta: unknown, finish: string | null = null) =>
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'gpt-test', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(
        chunk({ role: 'assistant', tool_calls: [{ index: 0, function: { name: 'weather' } }] }) +
          chunk({ tool_calls: [{ index: 0, id: 'late', function: { arguments: '{"city":' } }] }) +
          chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }) +
          chunk({}, 'tool_calls') +
          'data: [DONE]\n\n',
      );
    });
    await new Promise<void>((resolve) => raw!.listen(0, '127.0.0.1', resolve));
    const { port } = raw.address() as AddressInfo;
    const rt = await runtimes.start({
      clients: {
        m: { provider: 'openai', baseUrl: `http://127.0.0.1:${port}/v1`, model: 'gpt-test' },
      },
    });
    const result = streamText({
      model: createLanguageModel(rt, 'm'),
      tools: { weather },
      prompt: 'Oslo?',
    });
    const parts = [];
    for await (const part of result.fullStream) parts.push(part);
    const start = parts.find((p) => p.type === 'tool-input-start');
    const call = parts.find((p) => p.type === 'tool-call');
    expect(start?.id).toMatch(/^call_[0-9a-f]{16}_0$/);
    expect(call).toMatchObject({ toolCallId: start?.id, input: { city: 'Oslo' } });
  });
});
