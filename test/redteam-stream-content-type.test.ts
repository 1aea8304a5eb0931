/**
 * A stream asked for and a body that is none: a server that ignored `stream: true` and answered
 * JSON, a proxy's HTML login page. It is a BAD_RESPONSE naming what came, tried once — not a
 * stream cut short (NETWORK_ERROR), which was retried to the same end. An Ollama answer of one
 * JSON object is its stream's one line, and whole.
 */
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../src/index.js';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { openaiAnswer, rawUpstream, type RawUpstream } from './support/raw-upstream.js';
import { runtimePerTest } from './support/runtime.js';

let raw: RawUpstream | undefined;
const runtimes = runtimePerTest(async () => {
  await raw?.close();
  raw = undefined;
});

async function answering(
  provider: 'openai' | 'anthropic' | 'ollama',
  type: string,
  body: string,
): Promise<Runtime> {
  raw = await rawUpstream((res) => {
    res.writeHead(200, { 'content-type': type });
    res.end(body);
  });
  return runtimes.start({
    clients: { c: { provider, baseUrl: raw.url, model: 'm', retry: { maxAttempts: 3 } } },
  });
}

describe('a stream answered with a body that is no stream', () => {
  it.each([
    ['openai', 'application/json', openaiAnswer('whole')],
    ['anthropic', 'application/json; charset=utf-8', '{"content":[]}'],
    ['openai', 'text/html', '<html>sign in</html>'],
  ] as const)('%s, %s: BAD_RESPONSE naming the type, tried once', async (provider, type, body) => {
    const rt = await answering(provider, type, body);
    const error = await failure(rt.stream('c', hi).completion);
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain(`a stream was asked for, the provider answered ${type}`);
    expect(raw!.calls).toBe(1);
  });

  it('ollama: one JSON object is a whole stream', async () => {
    const rt = await answering(
      'ollama',
      'application/json',
      JSON.stringify({ message: { content: 'whole' }, done: true }),
    );
    await expect(rt.stream('c', hi).completion).resolves.toMatchObject({ text: 'whole' });
  });
});
