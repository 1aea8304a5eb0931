/**
 * One group call, plain or streamed: its members in the strategy's order (those that cannot answer
 * now skipped without a request), one attempt each, failing over at once on what another member
 * could fix, a hedge when the first is slow, one deadline over it all. A stream is committed to the
 * member whose first delta reaches the caller; a cut after that goes to {@link resumeStream}.
 */
import { Cancellation } from '../policy/cancellation.js';
import type { LlmActorsError } from '../model/errors.js';
import { aborted, restarted, timedOut } from '../model/failures.js';
import type { StreamChunk } from '../model/chat.js';
import type { ChatMessage, Completion, RequestOptions } from '../model/request.js';
import type { Attempt, AttemptOwner } from './attempt.js';
import { dropAttempts, pastAttempt, startAttempt } from './attempt.js';
import { CallTrace } from './call-trace.js';
import { noop } from '../model/noop.js';
import { onAbort, removeFrom, type GroupContext } from './context.js';
import type { Delivery } from './delivery.js';
import { HedgeTimer } from './hedge.js';
import { moveAfter } from './failover.js';
import { memberReady, readyMembers, soonerSkip, unreadyError } from './ready.js';
import { resumable, resumeStream } from './resume.js';
import { RouteLog } from './route.js';
import type { ClientEntry } from '../supervision/registry.js';
import { orderMembers } from './strategies.js';

/** A group call; {@link GroupCall.run} once. */
export class GroupCall implements AttemptOwner {
  private readonly route: RouteLog;
  private readonly running: Attempt[] = [];
  private readonly cancelAll = new Cancellation();
  private readonly timeoutMs: number;
  private readonly deadline: number;
  private readonly trace: CallTrace | undefined;
  private queue: string[] = [];
  private wanted = 1;
  private hedge: HedgeTimer | undefined;
  private last: LlmActorsError | undefined;
  private soonestSkip: LlmActorsError | undefined;
  private overflowed = false;
  /** A member failed over: counted once the next one starts, not when none is left to ask. */
  private movingOn = false;
  private ended = false;
  /** A stream's member whose first delta reached the caller. */
  private committed: Attempt | undefined;
  private unhookCaller: () => void = noop;
  private resolve: (c: Completion) => void = noop;
  private reject: (e: LlmActorsError) => void = noop;

  constructor(
    private readonly ctx: GroupContext,
    private readonly messages: ChatMessage[],
    private readonly options: RequestOptions | undefined,
    private readonly delivery: Delivery | undefined,
    private readonly startedAt = ctx.clock.now(),
  ) {
    this.route = new RouteLog(ctx.group.name);
    this.timeoutMs = options?.timeoutMs ?? ctx.group.timeoutMs;
    this.deadline = this.startedAt + this.timeoutMs;
    this.trace = CallTrace.start(ctx.group.name, delivery !== undefined);
    delivery?.onCancel(() => this.cancel());
  }

  /** The caller cancelled: every member under way is cancelled, and none starts. */
  private cancel(): void {
    this.cancelAll.abort(undefined);
    this.hedge?.clear();
    for (const a of this.running) a.cancel.abort(undefined);
  }

  /** Runs the call (in `order`, when drawn already): the answer with its route, or the error. */
  run(order = orderMembers(this.ctx, this.delivery !== undefined)): Promise<Completion> {
    return this.begin(() => {
      this.ctx.stats.requests.total++;
      if (this.cancelAll.aborted) return this.fail(aborted(this.ctx.group.name));
      this.queue = this.ready(order);
      this.fill();
    });
  }

  /**
   * Goes on with a call whose first member, `order[0]`, was asked on the direct path (counted
   * there, from this call's start) and failed with `error`: as if this call had asked it —
   * `committed` when its stream had reached the caller, `costUsd` what its failure was billed.
   */
  after(
    order: readonly string[],
    error: LlmActorsError,
    committed = false,
    costUsd?: number,
  ): Promise<Completion> {
    return this.begin(() => {
      this.queue = this.ready(order.slice(1));
      const attempt = pastAttempt(order[0]!, this.startedAt, costUsd);
      if (committed) this.committed = attempt;
      this.failed(attempt, error);
    });
  }

  /** The call's promise, the caller's signal hooked, `go` run within it. */
  private begin(go: () => void): Promise<Completion> {
    return new Promise<Completion>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      const signal = this.options?.signal;
      if (signal !== undefined) this.unhookCaller = onAbort(signal, () => this.cancel());
      go();
    });
  }

  /** The members of `clients` that can answer now, in order; the others are skipped. */
  private ready(clients: readonly string[]): string[] {
    return readyMembers(clients, this.ctx.entry, this.ctx.clock.now(), this);
  }

  /** @internal A member that cannot answer now: in the route with its code, and no request. */
  skip(entry: ClientEntry, now: number): void {
    const error = unreadyError(entry, now);
    this.route.add(entry.name, error.code, 0);
    this.soonestSkip = soonerSkip(this.soonestSkip, error);
  }

  /** Starts members until `wanted` run; ends the call when none runs and none is left. */
  private fill(): void {
    while (
      !this.ended &&
      this.committed === undefined &&
      this.running.length < this.wanted &&
      this.queue.length > 0
    ) {
      const now = this.ctx.clock.now();
      if (this.deadline <= now) break;
      const client = this.queue.shift()!;
      const entry = this.ctx.entry(client);
      // Checked again: it may have melted or crashed since the call began.
      if (memberReady(entry, now)) this.start(client, now);
      else this.skip(entry, now);
    }
    if (this.ended) return;
    if (this.running.length === 0) return this.fail(this.finalError());
    this.armHedge();
  }

  /** With `hedge`, the next member starts too if this one has not answered in time. */
  private armHedge(): void {
    const hedge = this.ctx.group.hedge;
    if (hedge === undefined || this.hedge?.armed === true || this.wanted > 1) return;
    if (this.running.length !== 1 || this.queue.length === 0) return;
    (this.hedge ??= new HedgeTimer(this.ctx.clock)).arm(hedge.afterMs, () => {
      if (this.ended || this.committed !== undefined) return;
      this.wanted = 2;
      this.ctx.stats.hedges++;
      this.trace?.hedging();
      this.fill();
    });
  }

  private start(client: string, now: number): void {
    if (this.movingOn) {
      this.movingOn = false;
      this.ctx.stats.failedOver();
    }
    const own = now + this.ctx.entry(client).spec.config.timeoutMs;
    const request = {
      messages: this.messages,
      options: this.options,
      deadline: Math.min(own, this.deadline),
      stream: this.delivery !== undefined,
    };
    const attempt =
      this.trace === undefined
        ? startAttempt(this.ctx, client, request, this)
        : this.trace.member(client, () => startAttempt(this.ctx, client, request, this));
    this.running.push(attempt);
    if (this.cancelAll.aborted) attempt.cancel.abort(undefined);
  }

  /** @internal A streamed member waits for the caller: only the committed one is heard. */
  drain(attempt: Attempt, drain: () => void): void {
    if (this.committed === attempt) this.delivery!.onDrain(drain);
  }

  /** @internal The first delta of any member commits the stream to it; the others are cancelled. */
  delta(attempt: Attempt, chunk: StreamChunk): boolean {
    if (attempt.dropped || this.ended) return true;
    if (this.committed === undefined) this.commit(attempt);
    return this.delivery!.forward(chunk);
  }

  private commit(attempt: Attempt): void {
    this.committed = attempt;
    this.delivery!.answeredBy(attempt.client);
    this.hedge?.clear();
    const now = this.ctx.clock.now();
    this.ctx.stats.sample(attempt.client, 'firstToken', now - attempt.startedAt);
    this.dropOthers(attempt);
  }

  /** @internal A member answered. */
  answered(attempt: Attempt, completion: Completion): void {
    removeFrom(this.running, attempt);
    // Paid even when it lost: its member's health.cost counts it, so the group's does too.
    this.ctx.stats.paid(completion.costUsd);
    if (attempt.dropped || this.ended) return;
    const ms = this.ctx.clock.now() - attempt.startedAt;
    // A stream whose answer had no delta at all (an empty text) commits when it ends.
    if (this.delivery !== undefined && this.committed === undefined) this.commit(attempt);
    this.ctx.stats.sample(attempt.client, 'request', ms);
    this.route.add(attempt.client, undefined, ms, completion.costUsd);
    this.dropOthers(attempt);
    this.succeed(completion);
  }

  /** @internal A member failed. */
  failed(attempt: Attempt, error: LlmActorsError): void {
    removeFrom(this.running, attempt);
    if (attempt.dropped || this.ended) return;
    const ms = this.ctx.clock.now() - attempt.startedAt;
    this.route.add(attempt.client, error.code, ms, attempt.costUsd);
    if (this.committed === attempt) return this.cut(error);
    const stream = this.delivery !== undefined;
    const action = this.cancelAll.aborted
      ? 'return'
      : moveAfter(this.ctx, attempt.client, error, this.overflowed, stream);
    if (action === 'return') return this.fail(error);
    this.last = error;
    this.trace?.failedOver(attempt.client, error.code);
    if (action === 'overflow') {
      // Every member of the same context would refuse it too: only the larger ones are tried.
      this.overflowed = true;
      this.dropOthers(undefined);
      this.queue = this.ready(this.ctx.group.onContextOverflow);
    } else {
      this.movingOn = true;
    }
    this.hedge?.clear();
    this.fill();
  }

  /** The committed member failed mid-stream: resumed elsewhere, or its error comes back. */
  private cut(error: LlmActorsError): void {
    const delivery = this.delivery!;
    if (!resumable(this.ctx, delivery, this.cancelAll, error)) return this.fail(error);
    resumeStream({
      ctx: this.ctx,
      messages: this.messages,
      options: this.options,
      delivery,
      queue: this.queue,
      route: this.route,
      deadline: this.deadline,
      cancel: this.cancelAll,
      original: error,
      trace: this.trace,
    }).then(
      (completion) => {
        this.ctx.stats.resumedStreams++;
        this.succeed(completion);
      },
      (e: LlmActorsError) => this.fail(e),
    );
  }

  /** When nothing is left to try: a group TIMEOUT past the deadline, else the last failure. */
  private finalError(): LlmActorsError {
    if (this.ctx.clock.now() >= this.deadline) {
      return timedOut(this.ctx.group.name, this.timeoutMs, ' (group deadline)');
    }
    return this.last ?? this.soonestSkip ?? restarted(this.ctx.group.name);
  }

  /** Cancels every running member but `keep` (neutral for their fuses: ABORTED). */
  private dropOthers(keep: Attempt | undefined): void {
    dropAttempts(this.running, keep, this.route, this.ctx.clock);
  }

  private end(): void {
    this.ended = true;
    this.hedge?.clear();
    this.unhookCaller();
    this.dropOthers(undefined);
  }

  private succeed(completion: Completion): void {
    if (this.ended) return;
    this.end();
    this.ctx.stats.succeeded(this.ctx.clock.now() - this.startedAt);
    const answer = this.route.answer(completion);
    this.trace?.answered(answer);
    this.resolve(answer);
  }

  private fail(error: LlmActorsError): void {
    if (this.ended) return;
    this.end();
    this.ctx.stats.failed(error.code, error.message, this.ctx.clock.now());
    const routed = this.route.error(error);
    this.trace?.failed(routed);
    this.reject(routed);
  }
}
