/**
 * Without `@opentelemetry/api` (an optional peer dependency): the runtime loads, answers,
 * streams, retries and serves the gateway as ever.
 */
import { describe, expect, it, vi } from 'vitest';
import { createGateway } from '../src/gateway/index.js';
import { tracing } from '../src/observe/tracing.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { runtimePerTest } from './support/runtime.js';

vi.mock('@opentelemetry/api', () => {
  throw new Error("Cannot find package '@opentelemetry/api'");
});

let server: TestServer | undefined;
const runtimes = runtimePerTest(async () => {
  await server?.close();
  server = undefined;
});

describe('without @opentelemetry/api installed', () => {
  it('answers requests, streams and gateway calls, and traces nothing', async () => {
    server = await startTestServer();
    const rt = await runtimes.start({
      clients: {
        gpt: {
          provider: 'openai',
          model: 'm',
          baseUrl: server.url,
          retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
        },
      },
    });
    expect(tracing()).toBeUndefined();
    server.inject({ kind: 'status', status: 500 }, { times: 1 });
    expect((await rt.request('gpt', [{ role: 'user', content: 'hi' }])).text).toBe('echo: hi');
    const s = rt.stream('gpt', [{ role: 'user', content: 'again' }]);
    for await (const _ of s) void _;
    expect((await s.completion).text).toBe('echo: again');
    const gateway = await createGateway(rt, { port: 0, logger: false });
    try {
      const res = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
        body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toMatch(/^gw-/);
    } finally {
      await gateway.close({ timeoutMs: 0 });
    }
  });
});
