/**
 * Spans under test: a tracer provider recording every span in the SDK's in-memory exporter,
 * with the async-hooks context manager so that parents follow the caller's async context.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { beforeAll } from 'vitest';

/**
 * Registers the provider and the context manager before the file's tests (and the W3C
 * `traceparent` propagator with `propagate`); returns the exporter that holds the spans.
 */
export function recordSpans(options: { propagate?: boolean } = {}): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  beforeAll(() => {
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    if (options.propagate === true)
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  return exporter;
}
