/**
 * `@opentelemetry/api` installed but no tracer provider registered: nothing is recorded (the
 * API's no-op is noticed and no span is started), until a provider is registered, from which
 * request on spans are made.
 */
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { tracing } from '../src/observe/tracing.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { runtimePerTest } from './support/runtime.js';

let server: TestServer | undefined;
const runtimes = runtimePerTest(async () => {
  await server?.close();
  server = undefined;
});

describe('with no tracer provider registered', () => {
  it('starts no span, and starts them once a provider is registered', async () => {
    server = await startTestServer();
    const rt = await runtimes.start({
      clients: { gpt: { provider: 'openai', model: 'm', baseUrl: server.url, cache: false } },
    });
    expect(tracing()!.on()).toBe(false);
    await rt.request('gpt', [{ role: 'user', content: 'before' }]);
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    expect(tracing()!.on()).toBe(true);
    await rt.request('gpt', [{ role: 'user', content: 'after' }]);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['attempt 1', 'chat m']);
  });
});
