/**
 * What an Ollama answer carries beyond text, read plain and streamed: `message.thinking` as the
 * reasoning, `message.tool_calls` (object arguments) as tool calls with JSON text arguments.
 */
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../src/testing/index.js';
import { runtimePerTest } from './support/runtime.js';

const runtimes = runtimePerTest();
const hi = [{ role: 'user' as const, content: 'weather in Paris?' }];

async function setup() {
  const server = await startTestServer();
  const rt = await runtimes.start({
    clients: { local: { provider: 'ollama', baseUrl: server.origin, model: 'm', cache: false } },
  });
  return { server, rt };
}

const scripted = {
  reasoning: 'The user wants the weather; call the tool.',
  toolCalls: [{ name: 'getWeather', arguments: { city: 'Paris' } }],
};

describe('ollama answers', () => {
  it('reads thinking as reasoning and tool calls with their arguments as JSON text', async () => {
    const { server, rt } = await setup();
    server.enqueue(scripted);
    const answer = await rt.request('local', hi);
    expect(answer.reasoning).toBe(scripted.reasoning);
    expect(answer.finishReason).toBe('tool_calls');
    expect(answer.toolCalls).toHaveLength(1);
    expect(answer.toolCalls![0]).toMatchObject({ name: 'getWeather' });
    expect(JSON.parse(answer.toolCalls![0]!.arguments)).toEqual({ city: 'Paris' });
    expect(answer.message.toolCalls).toEqual(answer.toolCalls);
  });

  it('streams the same: reasoning deltas, then the tool call, and the same completion', async () => {
    const { server, rt } = await setup();
    server.enqueue(scripted);
    const stream = rt.stream('local', hi);
    let reasoning = '';
    const calls: { name?: string; arguments: string }[] = [];
    for await (const chunk of stream) {
      reasoning += chunk.reasoning ?? '';
      if (chunk.toolCall) calls.push(chunk.toolCall);
    }
    const completion = await stream.completion;
    expect(reasoning).toBe(scripted.reasoning);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.name).toBe('getWeather');
    expect(completion.finishReason).toBe('tool_calls');
    expect(completion.reasoning).toBe(scripted.reasoning);
    expect(JSON.parse(completion.toolCalls![0]!.arguments)).toEqual({ city: 'Paris' });
  });
});
