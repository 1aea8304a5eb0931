/**
 * The records of the request path: a waiter is one caller, a flight one upstream call sequence
 * that one or more waiters (identical cacheable requests) wait on.
 */
import type { StreamChunk } from '../model/chat.js';
import type { CachedCompletion } from '../model/answer.js';
import type { TimerHandle } from '../model/clock.js';
import type { LlmActorsError } from '../model/errors.js';
import type { ChatMessage, Completion, EffectiveParams, Usage } from '../model/request.js';
import type { RequestSpan } from '../observe/tracing.js';
import type { Cancellation } from '../policy/cancellation.js';

/** One caller of the actor. */
export interface Waiter {
  id: string;
  startedAt: number;
  /** performance.now() at the start, for the latency. */
  t0: number;
  /** The absolute deadline on the runtime's clock, made once at the public edge. */
  deadline: number;
  /** The timeout the deadline came from (named in the TIMEOUT message). */
  timeoutMs: number;
  messages: ChatMessage[];
  params: EffectiveParams;
  rolloutId: string | number | undefined;
  resolve: (c: Completion) => void;
  reject: (e: unknown) => void;
  timer: TimerHandle | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  flight: Flight | undefined;
  settled: boolean;
  /** Its span, while a tracer is registered. */
  span: RequestSpan | undefined;
  /** One attempt, no retries: a group's call, which fails over to another member instead. */
  once: boolean;
}

/** Where a flight stands. */
export type FlightState = 'queued' | 'running' | 'done';

/** One upstream call sequence (with its retries) and the callers waiting on it. */
export interface Flight {
  /** The request id of the caller that launched it (for logs). */
  id: string;
  key: string | undefined;
  messages: ChatMessage[];
  params: EffectiveParams;
  cancel: Cancellation;
  /** Its callers; an array since it almost always holds one (a Set costs more per flight). */
  waiters: Waiter[];
  /** The latest deadline among its waiters: retries never wait past it. */
  deadline: number;
  /** Upstream attempts made so far. */
  attempts: number;
  state: FlightState;
  /** Where a streamed flight's deltas go (streams are never shared). */
  sink: StreamSink | undefined;
  /** A delta has reached the caller: from then on a failure is surfaced, not retried. */
  delivered: boolean;
  /** Its caller wants one attempt (see {@link Waiter.once}); such a flight is never shared. */
  once: boolean;
  /** The last attempt's failure (the cause of a FUSE_OPEN that cuts retries short). */
  last?: LlmActorsError;
  /** The token of the fleet lock this flight holds on its key (redis `singleFlight`). */
  lock?: string;
  /** The answer came from another process of the fleet (through the shared cache). */
  fromPeer?: true;
  /** The launching caller's span: its attempts' spans are children of it. */
  span: RequestSpan | undefined;
  /** Waiting in the rate gate (parked client, or no rate budget yet). */
  held?: boolean;
  /** It came when `maxQueue` flights waited already: it goes on at once or not at all. */
  noWait?: true;
  /** The tokens the rate budget was charged for it, settled with the real usage after. */
  rateTokens?: number;
}

/** Receives a streamed request's chunks as they arrive. */
export interface StreamSink {
  /**
   * Hands the consumer a chunk. False once its unread buffer is past the high-water mark: the
   * sender should stop until the function given to {@link onDrain} is called.
   */
  delta(chunk: StreamChunk): boolean;
  /**
   * Calls `drain` once, when the consumer has read its buffer down after `delta` returned false
   * (never from inside `delta`). A later call replaces an earlier one not yet called.
   */
  onDrain(drain: () => void): void;
  /** The consumer's way to stop the request (it stopped reading); called at once if it did. */
  onCancel(cancel: () => void): void;
  /** A group's stream: the member whose deltas the consumer now gets. */
  answeredBy?(client: string): void;
  /**
   * A group's stream: this attempt failed after the provider reported `usage`, which was billed
   * (`costUsd` when the client has a price table), so the group can tell what its call paid.
   */
  paid?(usage: Usage, costUsd: number | undefined): void;
}

/** The answer of a flight: the normalized completion and, from a fresh upstream call, `raw`. */
export interface FlightAnswer {
  completion: CachedCompletion;
  raw: unknown;
}
