/**
 * A group call's span `chat <group>` and what goes on it: its members run in its context (their
 * request spans are its children), and its moves are events — `failover` (from, to, code),
 * `hedge` (the member started beside a slow one), `stream.resume` (the member asked to continue
 * a cut stream, and how much text had been delivered). Made only when a tracer is registered.
 */
import type { ErrorCode, LlmActorsError } from '../model/errors.js';
import type { Completion } from '../model/request.js';
import { startGroupSpan, type GroupSpan } from '../observe/group-span.js';
import type { Attributes } from '../observe/span-attributes.js';

/** Why the next member starts, told on the span when it does. */
interface Move {
  event: 'failover' | 'hedge';
  attributes: Attributes;
}

/** The trace of one group call. */
export class CallTrace {
  private move: Move | undefined;

  private constructor(private readonly span: GroupSpan) {}

  /** The span of a call to `group`; undefined (and nothing made) when no tracer is registered. */
  static start(group: string, stream: boolean): CallTrace | undefined {
    const span = startGroupSpan(group, {
      'gen_ai.request.model': group,
      'llm_actors.stream': stream,
    });
    return span === undefined ? undefined : new CallTrace(span);
  }

  /** A member failed with `code`: the member started next is where the call failed over to. */
  failedOver(from: string, code: ErrorCode): void {
    this.move = { event: 'failover', attributes: { 'llm_actors.from': from, 'error.type': code } };
  }

  /** The hedge is due: the member started next runs beside the slow one. */
  hedging(): void {
    this.move = { event: 'hedge', attributes: {} };
  }

  /** Starts `client`'s attempt with `start`, in the span's context, telling why it starts. */
  member<T>(client: string, start: () => T): T {
    const move = this.move;
    if (move !== undefined) {
      this.move = undefined;
      const to = move.event === 'failover' ? 'llm_actors.to' : 'llm_actors.client';
      this.span.event(move.event, { ...move.attributes, [to]: client });
    }
    return this.span.run(start);
  }

  /**
   * `client` is asked to continue a stream cut after `delivered` characters reached the caller,
   * by a prefill or by a restart whose start is checked against them (`mode`).
   */
  resume<T>(client: string, delivered: number, mode: string, start: () => T): T {
    this.span.event('stream.resume', {
      'llm_actors.client': client,
      'llm_actors.delivered_chars': delivered,
      'llm_actors.resume_mode': mode,
    });
    return this.span.run(start);
  }

  /** The call answered with `completion` (its `costUsd` what the whole call paid). */
  answered(completion: Completion): void {
    this.span.answered(completion, completion.costUsd);
  }

  /** The call failed with `error`. */
  failed(error: LlmActorsError): void {
    this.span.end(error);
  }
}
