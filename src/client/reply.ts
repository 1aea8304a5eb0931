/**
 * Settling a caller: its Completion, made from a flight's answer or a cached entry, or its
 * error; once, with the deadline and signal disarmed and the observer told.
 */
import { performance } from 'node:perf_hooks';
import type { CachedChoice, CachedCompletion } from '../model/answer.js';
import type { AssistantMessage } from '../model/chat.js';
import type { Clock } from '../model/clock.js';
import { LlmActorsError } from '../model/errors.js';
import type { Choice, Completion } from '../model/request.js';
import type { ClientObserver } from '../observe/observer.js';
import type { Flight, FlightAnswer, Waiter } from './flight.js';
import { disarm } from './waiter.js';

/** Settles the waiters of one incarnation. */
export class Reply {
  constructor(
    private readonly client: string,
    private readonly clock: Clock,
    private readonly observer: ClientObserver,
  ) {}

  /** Answers `waiter`; `paid` when this caller's upstream call is what the answer cost. */
  resolve(
    waiter: Waiter,
    value: CachedCompletion,
    cacheHit: boolean,
    raw: unknown,
    paid: boolean,
  ): void {
    const latencyMs = performance.now() - waiter.t0;
    const completion = completionOf(value, this.client, cacheHit, latencyMs, raw);
    const usage = paid ? value.usage : undefined;
    const cost = this.observer.cost(usage);
    if (cost !== undefined) completion.costUsd = cost;
    this.settle(waiter);
    waiter.resolve(completion);
    this.observer.succeeded(waiter, completion, usage);
  }

  /**
   * Settles every waiter of a finished flight: a fresh answer's `raw` and paid usage go to the
   * first of them (the one whose call it was), a peer's answer counts as a hit.
   */
  settleAll(flight: Flight, outcome: FlightAnswer | LlmActorsError): void {
    if (outcome instanceof LlmActorsError) {
      for (const waiter of flight.waiters) this.fail(waiter, outcome, flight.attempts === 0);
      return;
    }
    const peer = flight.fromPeer === true;
    let first = !peer;
    for (const waiter of flight.waiters) {
      this.resolve(waiter, outcome.completion, peer, first ? outcome.raw : undefined, first);
      first = false;
    }
  }

  /** Settles a waiter with `error` (once) and returns the error. */
  fail(waiter: Waiter, error: LlmActorsError, beforeAnyAttempt: boolean): LlmActorsError {
    if (!waiter.settled) {
      this.settle(waiter);
      waiter.reject(error);
      // Refused before any upstream attempt: counted apart from failures of the provider.
      const rejected =
        error.code === 'QUEUE_FULL' ||
        error.code === 'BUDGET_EXCEEDED' ||
        error.code === 'RATE_LIMITED' ||
        (error.code === 'FUSE_OPEN' && beforeAnyAttempt);
      this.observer.failed(waiter, error, this.clock.now(), rejected);
    }
    return error;
  }

  private settle(waiter: Waiter): void {
    waiter.settled = true;
    disarm(waiter, this.clock);
  }
}

/**
 * A fresh Completion for one caller: usage, choices, tool calls and logprobs are copied, since
 * `value` may be the cache's own entry (`json` is shared: it is never written to). `raw` goes
 * only to the caller whose call was paid for.
 */
export function completionOf(
  value: CachedCompletion,
  client: string,
  cacheHit: boolean,
  latencyMs: number,
  raw: unknown,
): Completion {
  const completion: Completion = {
    text: value.text,
    finishReason: value.finishReason,
    usage: { ...value.usage },
    model: value.model,
    client,
    cacheHit,
    latencyMs,
    message: messageOf(value),
  };
  copyParts(value, completion);
  if (value.choices !== undefined) completion.choices = value.choices.map(choiceOf);
  if (raw !== undefined) completion.raw = raw;
  return completion;
}

function choiceOf(c: CachedChoice): Choice {
  const choice: Choice = { text: c.text, finishReason: c.finishReason, message: messageOf(c) };
  copyParts(c, choice);
  return choice;
}

function copyParts(from: CachedChoice, to: Choice | Completion): void {
  if (from.toolCalls !== undefined) to.toolCalls = from.toolCalls.map((t) => ({ ...t }));
  if (from.reasoning !== undefined) to.reasoning = from.reasoning;
  if (from.json !== undefined) to.json = from.json;
  if (from.logprobs !== undefined) to.logprobs = from.logprobs.map((l) => ({ ...l }));
}

/** The assistant turn of an answer, to append to `messages` for the next call. */
function messageOf(c: CachedChoice): AssistantMessage {
  const calls = c.toolCalls !== undefined && c.toolCalls.length > 0;
  const message: AssistantMessage = {
    role: 'assistant',
    content: c.text === '' && calls ? null : c.text,
  };
  if (calls) message.toolCalls = c.toolCalls!.map((t) => ({ ...t }));
  if (c.reasoningParts !== undefined) message.reasoning = c.reasoningParts.map((p) => ({ ...p }));
  else if (c.reasoning !== undefined && c.reasoning !== '') {
    message.reasoning = [{ type: 'reasoning', text: c.reasoning }];
  }
  return message;
}
