/**
 * OpenTelemetry traces through `@opentelemetry/api` only, an optional peer dependency: it is
 * imported once (by `createRuntime`), and when it is missing, or no tracer provider is
 * registered, nothing is made per request — no span, no attribute. The caller's active context
 * is the parent of a request's span, so a group call (or the gateway continuing a caller's
 * `traceparent`) is the parent of the spans of the requests made inside it.
 */
import type * as Otel from '@opentelemetry/api';
import type { ResolvedClientConfig } from '../config/types.js';
import type { LlmActorsError } from '../model/errors.js';
import type { ChatMessage, Completion, EffectiveParams } from '../model/request.js';
import {
  errorAttributes,
  inputMessages,
  outputMessages,
  requestAttributes,
  responseAttributes,
  type Attributes,
} from './span-attributes.js';

type Api = typeof Otel;

/** The API once loaded: its tracer, and whether a real tracer provider is registered now. */
export interface Tracing {
  readonly api: Api;
  readonly tracer: Otel.Tracer;
  /** False while the registered provider is the API's no-op: then no span is made. */
  on(): boolean;
}

/** The tracer's name (the instrumentation scope of every span). */
export const TRACER_NAME = 'llm-actors';

let loaded: Tracing | undefined;
let loading: Promise<void> | undefined;

/** Imports `@opentelemetry/api` once, if it is installed. Never rejects. */
export function loadTracing(): Promise<void> {
  loading ??= import('@opentelemetry/api').then(
    (api) => {
      loaded = bind(api);
    },
    () => undefined,
  );
  return loading;
}

/** The loaded API, or undefined when it is not installed (or not loaded yet). */
export function tracing(): Tracing | undefined {
  return loaded;
}

/** True when spans are being made: the API is loaded and a real tracer provider is registered. */
export function tracingOn(): boolean {
  return loaded !== undefined && loaded.on();
}

function bind(api: Api): Tracing {
  const provider = api.trace.getTracerProvider();
  // With no provider registered, the global proxy delegates to the API's one no-op provider,
  // which a fresh proxy hands out too: comparing with it is the cheap test of "none".
  const noop = new api.ProxyTracerProvider().getDelegate();
  const on =
    provider instanceof api.ProxyTracerProvider
      ? () => provider.getDelegate() !== noop
      : () => true;
  return { api, tracer: api.trace.getTracer(TRACER_NAME), on };
}

/** The span of one request (`chat <model>`) and of its attempts. */
export class RequestSpan {
  /** The delay the next attempt waited before it started (set when a retry is scheduled). */
  private delay: number | undefined;
  private readonly context: Otel.Context;

  private constructor(
    private readonly t: Tracing,
    private readonly span: Otel.Span,
    parent: Otel.Context,
    private readonly content: boolean,
  ) {
    this.context = t.api.trace.setSpan(parent, span);
  }

  /** Starts the span of a request in the caller's active context, when a tracer is registered. */
  static start(
    config: ResolvedClientConfig,
    params: EffectiveParams,
    messages: readonly ChatMessage[],
    streamed: boolean,
  ): RequestSpan | undefined {
    const t = loaded;
    if (t === undefined || !t.on()) return undefined;
    const api = t.api;
    const parent = api.context.active();
    const span = t.tracer.startSpan(
      `chat ${config.model}`,
      { kind: api.SpanKind.CLIENT, attributes: requestAttributes(config, params, streamed) },
      parent,
    );
    const content = config.trace?.content === true;
    if (content) span.setAttribute('gen_ai.input.messages', inputMessages(messages));
    return new RequestSpan(t, span, parent, content);
  }

  /** Adds an event (`cache.hit`, `single_flight.join`, `fuse.open`...). */
  event(name: string, attributes?: Attributes): void {
    this.span.addEvent(name, attributes);
  }

  /** Sets one attribute (the fuse's state as an attempt left it). */
  set(name: string, value: string | number | boolean): void {
    this.span.setAttribute(name, value);
  }

  /** The next attempt starts after `ms` of backoff. */
  retryIn(ms: number): void {
    this.delay = ms;
  }

  /** Starts the child span of upstream attempt `n`. */
  attempt(n: number): AttemptSpan {
    const attributes: Attributes = { 'llm_actors.attempt': n };
    if (this.delay !== undefined) attributes['llm_actors.retry_delay_ms'] = this.delay;
    this.delay = undefined;
    const span = this.t.tracer.startSpan(
      `attempt ${n}`,
      { kind: this.t.api.SpanKind.INTERNAL, attributes },
      this.context,
    );
    return new AttemptSpan(this.t.api, span);
  }

  /** Ends the span with the answer; `costUsd` when the client has a price table. */
  succeeded(completion: Completion, costUsd: number | undefined): void {
    const span = this.span;
    span.setAttributes(responseAttributes(completion, costUsd));
    if (this.content) span.setAttribute('gen_ai.output.messages', outputMessages(completion));
    span.end();
  }

  /** Ends the span as failed with the error's code. */
  failed(error: LlmActorsError): void {
    const span = this.span;
    span.setAttributes(errorAttributes(error));
    if (error.code === 'FUSE_OPEN') span.setAttribute('llm_actors.fuse_state', 'open');
    span.setStatus({ code: this.t.api.SpanStatusCode.ERROR, message: error.message });
    span.end();
  }
}

/** The span of one upstream attempt. */
export class AttemptSpan {
  constructor(
    private readonly api: Api,
    private readonly span: Otel.Span,
  ) {}

  /** The attempt got an answer. */
  ok(): void {
    this.span.end();
  }

  /** The attempt failed with `error`. */
  failed(error: LlmActorsError): void {
    this.span.setAttributes(errorAttributes(error));
    this.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: error.message });
    this.span.end();
  }
}
