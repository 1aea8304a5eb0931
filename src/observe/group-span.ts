/**
 * Spans of calls that span several clients (a group's failover or hedge): the group's span is
 * the active context while its members run, so the members' request spans are its children,
 * and the group's own events (`failover`, `hedge`, `stream.resume`) go on it.
 */
import type { LlmActorsError } from '../model/errors.js';
import type { Completion } from '../model/request.js';
import type { Attributes } from './span-attributes.js';
import { errorAttributes, responseAttributes } from './span-attributes.js';
import { tracing } from './tracing.js';

/** A group call's span, while it runs. */
export interface GroupSpan {
  /** Runs `fn` with this span as the active context (the parent of the members' spans). */
  run<T>(fn: () => T): T;
  /** Adds an event (`failover`, `hedge`, `stream.resume`). */
  event(name: string, attributes?: Attributes): void;
  /** Ends the span, as failed when `error` is given. */
  end(error?: LlmActorsError): void;
  /**
   * Ends the span with the answer: the answering member's model, usage and name, and what the
   * whole call cost (`costUsd`, when a member has a price table).
   */
  answered(completion: Completion, costUsd: number | undefined): void;
}

/**
 * Starts the span `chat <group>` of a group call in the caller's active context, or returns
 * undefined (and costs nothing) when no tracer is registered.
 *
 * @example
 * ```ts
 * const span = startGroupSpan('best', { 'llm_actors.group': 'best' });
 * try { return await (span ? span.run(call) : call()); } finally { span?.end(); }
 * ```
 */
export function startGroupSpan(group: string, attributes?: Attributes): GroupSpan | undefined {
  const t = tracing();
  if (t === undefined || !t.on()) return undefined;
  const api = t.api;
  const parent = api.context.active();
  const span = t.tracer.startSpan(
    `chat ${group}`,
    {
      kind: api.SpanKind.INTERNAL,
      attributes: { 'gen_ai.operation.name': 'chat', 'llm_actors.group': group, ...attributes },
    },
    parent,
  );
  const context = api.trace.setSpan(parent, span);
  return {
    run: (fn) => api.context.with(context, fn),
    event: (name, attrs) => void span.addEvent(name, attrs),
    end: (error) => {
      if (error !== undefined) {
        span.setAttributes(errorAttributes(error));
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message });
      }
      span.end();
    },
    answered: (completion, costUsd) => {
      span.setAttributes(responseAttributes(completion, costUsd));
      span.setAttribute('llm_actors.client', completion.client);
      span.end();
    },
  };
}

/** Adds an event to the caller's active span, if there is one being recorded. */
export function groupSpanEvent(name: string, attributes?: Attributes): void {
  const t = tracing();
  if (t === undefined || !t.on()) return;
  t.api.trace.getActiveSpan()?.addEvent(name, attributes);
}
