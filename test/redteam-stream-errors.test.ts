/**
 * An error event in a stream whose message is not a string (an object, an array, a bare string
 * `error`): its text is shown as JSON — not `[object Object]` or `unknown` — and the API key in
 * it is redacted, in every wire format.
 */
import { describe, expect, it } from 'vitest';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { rawUpstream, type RawUpstream } from './support/raw-upstream.js';
import { runtimePerTest } from './support/runtime.js';

const KEY = 'sk-redteam-0123456789abcdef';
let raw: RawUpstream | undefined;
const runtimes = runtimePerTest(async () => {
  await raw?.close();
  raw = undefined;
});

const anthropicError = (error: object) =>
  `event: error\ndata: ${JSON.stringify({ type: 'error', error })}\n\n`;

describe('an in-band stream error whose message is not a string', () => {
  it.each([
    ['openai', 'text/event-stream', `data: ${JSON.stringify({ error: KEY })}\n\n`, '[REDACTED]'],
    [
      'openai',
      'text/event-stream',
      `data: ${JSON.stringify({ error: { message: { detail: `bad ${KEY}` } } })}\n\n`,
      '{"detail":"bad [REDACTED]"}',
    ],
    [
      'anthropic',
      'text/event-stream',
      anthropicError({ type: 'overloaded_error', message: [`busy ${KEY}`] }),
      'overloaded_error: ["busy [REDACTED]"]',
    ],
    [
      'ollama',
      'application/x-ndjson',
      `${JSON.stringify({ error: { reason: `oom ${KEY}` } })}\n`,
      '{"reason":"oom [REDACTED]"}',
    ],
  ] as const)('%s (%#): shows it as JSON, key redacted', async (provider, type, body, shown) => {
    raw = await rawUpstream((res) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    });
    const rt = await runtimes.start({
      clients: { c: { provider, baseUrl: raw.url, model: 'm', apiKey: KEY, retry: false } },
    });
    const error = await failure(rt.stream('c', hi).completion);
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toBe(`c: error in the stream: ${shown}`);
    expect(JSON.stringify(rt.health('c'))).not.toContain(KEY);
  });
});
