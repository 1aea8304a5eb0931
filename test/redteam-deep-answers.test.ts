/**
 * Tool arguments sent as JSON objects (Ollama always, some OpenAI-compatible servers too) nested
 * 50 000 deep: turning them into text overflows the stack. That is the answer's fault — a
 * BAD_RESPONSE naming it, tried once — not a retried PROVIDER_ERROR ("Maximum call stack size
 * exceeded"), plain or streamed.
 */
import { describe, expect, it } from 'vitest';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { rawUpstream, type RawUpstream } from './support/raw-upstream.js';
import { runtimePerTest } from './support/runtime.js';

const DEEP = '['.repeat(50_000) + ']'.repeat(50_000);
let raw: RawUpstream | undefined;
const runtimes = runtimePerTest(async () => {
  await raw?.close();
  raw = undefined;
});

const ollamaLine = `{"message":{"content":"","tool_calls":[{"function":{"name":"f","arguments":{"a":${DEEP}}}}]},"done":true}`;
const openaiMessage = `{"content":null,"tool_calls":[{"id":"a","function":{"name":"f","arguments":{"a":${DEEP}}}}]}`;

describe('tool arguments nested too deep to write as text', () => {
  it.each([
    ['ollama', false, 'application/json', ollamaLine, 'the answer could not be read'],
    ['ollama', true, 'application/x-ndjson', `${ollamaLine}\n`, 'a stream event could not be read'],
    [
      'openai',
      false,
      'application/json',
      `{"choices":[{"index":0,"message":${openaiMessage},"finish_reason":"tool_calls"}]}`,
      'the answer could not be read',
    ],
  ] as const)(
    '%s (streamed: %s): BAD_RESPONSE, tried once',
    async (provider, streamed, type, body, why) => {
      raw = await rawUpstream((res) => {
        res.writeHead(200, { 'content-type': type });
        res.end(body);
      });
      const rt = await runtimes.start({
        clients: { c: { provider, baseUrl: raw.url, model: 'm', retry: { maxAttempts: 3 } } },
      });
      const answer = streamed ? rt.stream('c', hi).completion : rt.request('c', hi);
      const error = await failure(answer);
      expect(error.code).toBe('BAD_RESPONSE');
      expect(error.message).toBe(`c: unusable answer: ${why} (Maximum call stack size exceeded)`);
      expect(raw.calls).toBe(1);
    },
  );
});
