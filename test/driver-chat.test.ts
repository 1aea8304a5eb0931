/**
 * The driver gets the whole request (messages as given, tools, formats, reasoning, logprobs)
 * and may answer with tool calls and reasoning, plain and streamed, choices included.
 */
import { describe, expect, it } from 'vitest';
import type {
  ChatMessage,
  ClientConfig,
  DriverClientConfig,
  DriverOutput,
  DriverRequest,
  StreamChunk,
} from '../src/index.js';
import { testDriver } from './support/driver.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

const runtimes = runtimePerTest();
const hi: ChatMessage[] = [{ role: 'user', content: 'Weather in Paris?' }];
const weather = { name: 'weather', parameters: { type: 'object' } };

/** A driver whose `output` returns the answers given, in order, recording each request. */
function scripted(...answers: DriverOutput[]) {
  const calls: DriverRequest[] = [];
  const config: DriverClientConfig<DriverOutput> = {
    provider: 'driver',
    model: 'd',
    cache: false,
    request: (req) => {
      calls.push(req);
      return answers.shift()!;
    },
    output: (raw) => raw,
  };
  return { calls, config: config as ClientConfig };
}

const callWeather: DriverOutput = {
  text: '',
  reasoning: 'Need the tool.',
  toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Paris"}' }],
};

describe('driver chat', () => {
  it('runs a tool loop, getting the whole request each time', async () => {
    const d = scripted(callWeather, { text: 'Sunny.' });
    const rt = await runtimes.start({ clients: { d: d.config } });
    const options = {
      tools: [weather],
      toolChoice: 'required' as const,
      parallelToolCalls: false,
      reasoning: { effort: 'low' as const },
      logprobs: 2,
    };
    const first = await rt.request('d', hi, options);
    expect(first.finishReason).toBe('tool_calls');
    expect(first.reasoning).toBe('Need the tool.');
    expect(first.message.toolCalls).toEqual(callWeather.toolCalls);
    const messages: ChatMessage[] = [
      ...hi,
      first.message,
      { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: '{"temp":21}' }] },
    ];
    const second = await rt.request('d', messages, { tools: [weather] });
    expect(second.text).toBe('Sunny.');
    expect(d.calls[0]).toMatchObject({ messages: hi, ...options });
    expect(d.calls[1]!.messages).toEqual(messages);
    expect(d.calls[1]).not.toHaveProperty('toolChoice');
  });

  it('streams reasoning and tool calls as deltas, and the same completion', async () => {
    const d = scripted(callWeather);
    const rt = await runtimes.start({ clients: { d: d.config } });
    const stream = rt.stream('d', hi, { tools: [weather] });
    const chunks: StreamChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const completion = await stream.completion;
    expect(chunks.map((c) => c.reasoning ?? c.toolCall?.name)).toEqual([
      'Need the tool.',
      'weather',
    ]);
    expect(completion.toolCalls).toEqual(callWeather.toolCalls);
    expect(completion.finishReason).toBe('tool_calls');
  });

  it('carries tool calls and reasoning on choices', async () => {
    const d = scripted({
      text: 'a',
      choices: [{ text: 'a' }, { text: '', toolCalls: callWeather.toolCalls, reasoning: 'r' }],
    });
    const rt = await runtimes.start({ clients: { d: d.config } });
    const res = await rt.request('d', hi);
    expect(res.choices![1]).toMatchObject({ finishReason: 'tool_calls', reasoning: 'r' });
    expect(res.choices![1]!.message.toolCalls).toEqual(callWeather.toolCalls);
  });

  it('types malformed tool calls as BAD_RESPONSE', async () => {
    const d = scripted({ text: '', toolCalls: [{ name: 'weather' }] } as unknown as DriverOutput);
    const rt = await runtimes.start({ clients: { d: d.config } });
    const error = await failure(rt.request('d', hi));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('toolCalls');
  });

  it('sends a plain request as before, without chat option keys', async () => {
    const driver = testDriver(() => ({ text: 'ok' }));
    const rt = await runtimes.start({ clients: { driven: driver.config as ClientConfig } });
    const res = await rt.request('driven', [...hi, { role: 'tool', content: 'x' } as ChatMessage], {
      responseFormat: { type: 'text' },
    });
    expect(res.message).toEqual({ role: 'assistant', content: 'ok' });
    expect(Object.keys(driver.calls[0]!)).not.toContain('tools');
  });
});

describe('chat options in client defaults', () => {
  it('are checked when the runtime starts, naming the field', async () => {
    const driver = testDriver(() => ({ text: 'ok' }));
    const error = await failure(
      runtimes.start({
        clients: {
          driven: {
            ...driver.config,
            defaults: { toolChoice: 'sometimes' },
          } as unknown as ClientConfig,
        },
      }),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('toolChoice');
  });
});
