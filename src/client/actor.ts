/**
 * The client actor: one incarnation of a named client. It owns its fuse, its cache, its
 * provider (and so its connection pool) and orchestrates the request path
 *
 *   cache lookup -> single-flight -> admission (slot or queue) -> attempts -> store -> reply
 *
 * with many requests in flight at once. Callers wait as waiters on a flight (one upstream call
 * sequence); identical cacheable requests share a flight. Each waiter has its own deadline and
 * signal; a flight is aborted only when its last waiter has left. The parts live beside it
 * (waiter, params, flights, admission, attempts, reply) and never import it.
 *
 * Provider failures are typed errors that feed the fuse. Anything else that escapes the path
 * is a fault of the actor itself: it is reported to the supervisor as a crash.
 */
import { performance } from 'node:perf_hooks';
import { nanoid } from 'nanoid';
import type { CachedCompletion } from '../model/answer.js';
import { LlmActorsError, isLlmActorsError } from '../model/errors.js';
import { aborted, fuseOpen, queueFull, restarted, timedOut } from '../model/failures.js';
import type { ChatMessage, Completion, RequestOptions } from '../model/request.js';
import { Cancellation } from '../policy/cancellation.js';
import type { FuseSnapshot } from '../policy/fuse.js';
import { Admission } from './admission.js';
import type { AttemptHandler, Dispatch } from './attempts.js';
import type { Flight, FlightAnswer, StreamSink, Waiter } from './flight.js';
import { Flights } from './flights.js';
import { Incarnation, type IncarnationDeps } from './incarnation.js';
import { effectiveParams, requestKey } from './params.js';
import { completionOf } from './reply.js';
import { arm, disarm } from './waiter.js';

export type { StreamSink } from './flight.js';

/** What an actor is built from; the parts that outlive it belong to its registry entry. */
export interface ActorDeps extends IncarnationDeps {
  /** Called once when the actor faults; the supervisor takes it from there. */
  onCrash: (actor: ClientActor, error: unknown) => void;
}

/** One incarnation of a client. */
export class ClientActor implements AttemptHandler {
  /** The incarnation id (new on every restart). */
  readonly id = nanoid();
  /** When this incarnation started, epoch ms. */
  readonly startedAt: number;
  private readonly flights = new Flights();
  private readonly admission: Admission;
  private readonly dispatch: Dispatch;
  private readonly leaveBound = (w: Waiter, why: 'timeout' | 'aborted') => this.leave(w, why);
  private idle: Array<() => void> = [];
  private dead = false;

  private constructor(
    private readonly own: Incarnation,
    private readonly onCrash: ActorDeps['onCrash'],
  ) {
    this.startedAt = own.deps.clock.now();
    const config = own.deps.config;
    this.admission = new Admission(config.maxConcurrency, config.maxQueue);
    const fault = (error: unknown) => this.fault(error);
    this.dispatch = own.attemptPath(fault);
    own.onFault = fault;
    own.onWritten = () => this.notifyIdle();
  }

  /** Opens the actor's resources and starts it. */
  static async start(deps: ActorDeps): Promise<ClientActor> {
    return new ClientActor(await Incarnation.open(deps), deps.onCrash);
  }

  /** Upstream calls under way. */
  get inFlight(): number {
    return this.admission.running;
  }

  /** Upstream calls waiting for a concurrency slot. */
  get queueLength(): number {
    return this.admission.queued;
  }

  /** The fuse part of health. */
  fuseSnapshot(): FuseSnapshot {
    return this.own.fuse.snapshot();
  }

  /** Whether the Redis connections this client shares with its fleet are up, when it has any. */
  fleet(): { cache?: 'up' | 'down'; fuse?: 'up' | 'down' } | undefined {
    return this.own.fleet();
  }

  /**
   * Runs one request. The caller has validated its input and made its `deadline` (absolute,
   * on the runtime's clock). Not async: every turn saved here is saved on every request. The
   * promise only ever rejects with typed errors; an untyped throw on the way is a crash.
   */
  request(
    messages: ChatMessage[],
    options: RequestOptions | undefined,
    deadline: number,
    sink?: StreamSink,
  ): Promise<Completion> {
    const { config, clock, observer } = this.own.deps;
    const waiter: Waiter = {
      id: nanoid(),
      startedAt: clock.now(),
      t0: performance.now(),
      deadline,
      timeoutMs: options?.timeoutMs ?? config.timeoutMs,
      messages,
      params: effectiveParams(config.defaults, options),
      rolloutId: options?.rolloutId,
      resolve: noop,
      reject: noop,
      timer: undefined,
      signal: options?.signal,
      onAbort: undefined,
      flight: undefined,
      settled: false,
    };
    try {
      observer.started(waiter);
      return this.begin(waiter, options?.cache !== false, sink);
    } catch (error) {
      return Promise.reject(this.crashed(waiter, error));
    }
  }

  private begin(
    waiter: Waiter,
    useCache: boolean,
    sink: StreamSink | undefined,
  ): Promise<Completion> {
    const name = this.own.deps.config.name;
    if (waiter.signal?.aborted) return Promise.reject(this.fail(waiter, aborted(name), true));
    const promise = new Promise<Completion>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    // The caller awaits `promise`; this branch only keeps a rejection that happens while the
    // path itself throws (a crash) from being reported as unhandled.
    promise.catch(noop);
    const cache = useCache ? this.own.cache : null;
    const key =
      cache === null
        ? undefined
        : requestKey(this.own.deps.config, waiter.messages, waiter.params, waiter.rolloutId);
    const found = key === undefined ? undefined : cache!.lookup(key);
    if (found !== undefined && !(found instanceof Promise) && sink === undefined) {
      // A memory hit is answered now: no deadline timer or abort listener to set up only to
      // tear it down again.
      this.proceed(waiter, key, found, sink);
      return promise;
    }
    arm(waiter, this.own.deps.clock, this.leaveBound);
    sink?.onCancel(() => this.leave(waiter, 'aborted'));
    if (found instanceof Promise) {
      found
        .then((hit) => this.proceed(waiter, key, hit, sink))
        .catch((error: unknown) => this.crashed(waiter, error));
    } else {
      this.proceed(waiter, key, found, sink);
    }
    return promise;
  }

  /** An untyped error inside the path: the request gets CLIENT_RESTARTED, the actor crashes. */
  private crashed(waiter: Waiter, error: unknown): LlmActorsError {
    if (isLlmActorsError(error)) return error;
    const crashed = restarted(this.own.deps.config.name, error);
    this.fail(waiter, crashed, false);
    this.fault(error);
    return crashed;
  }

  /** After the cache lookup: answer a hit, or join or launch a flight. */
  private proceed(
    waiter: Waiter,
    key: string | undefined,
    hit: CachedCompletion | undefined,
    sink: StreamSink | undefined,
  ): void {
    if (waiter.settled) return;
    if (hit !== undefined) {
      this.own.deps.observer.cacheHit(waiter);
      if (sink && hit.text !== '') sink.delta(hit.text);
      this.resolve(waiter, hit, true, undefined, false);
      return;
    }
    if (this.dead) {
      this.fail(waiter, restarted(this.own.deps.config.name), false);
      return;
    }
    if (sink !== undefined || !this.flights.join(key, waiter)) this.launch(key, waiter, sink);
  }

  /** Drops every cached answer of this client. */
  async clearCache(): Promise<void> {
    try {
      await this.own.cache?.clear();
    } catch (error) {
      // A store that cannot clear is a fault of the actor's own resource.
      this.fault(error);
      throw restarted(this.own.deps.config.name, error);
    }
  }

  /**
   * The actor crashed (or was killed): every waiter rejects with CLIENT_RESTARTED, upstream
   * calls are aborted and resources released. Idempotent.
   */
  crash(reason: unknown): void {
    if (this.dead) return;
    this.abort(restarted(this.own.deps.config.name, reason));
    void this.own.close(true, this.drain());
  }

  /**
   * Ends every request now with `error` and aborts their upstream calls; the actor takes no
   * more work. Resources stay open until {@link close}.
   */
  abort(error: LlmActorsError): void {
    this.dead = true;
    for (const flight of this.flights.drainAll()) {
      flight.state = 'done';
      // Other processes wait on this lock: give it back now rather than at its expiry.
      this.own.releaseLock(flight);
      flight.cancel.abort(error);
      for (const waiter of flight.waiters) this.fail(waiter, error, false);
      flight.waiters.clear();
    }
    this.admission.clear();
    this.own.fuse.stop();
    this.notifyIdle();
  }

  /** Waits until nothing is in flight, queued or being written to the cache. */
  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Drains, then closes the pool and the cache. Idempotent. */
  async close(): Promise<void> {
    await this.drain();
    this.dead = true;
    this.own.fuse.stop();
    await this.own.close(false, Promise.resolve());
  }

  private launch(key: string | undefined, waiter: Waiter, sink: StreamSink | undefined): void {
    const flight: Flight = {
      id: waiter.id,
      key,
      messages: waiter.messages,
      params: waiter.params,
      cancel: new Cancellation(),
      waiters: new Set([waiter]),
      deadline: waiter.deadline,
      attempts: 0,
      state: 'queued',
      sink,
      delivered: false,
    };
    waiter.flight = flight;
    const { fuse, deps } = this.own;
    const ticket = fuse.peek();
    if (!ticket.ok) {
      this.finish(flight, fuseOpen(deps.config.name, ticket.retryAt, deps.clock.now()));
      return;
    }
    const admitted = this.admission.admit(flight);
    if (admitted === 'full') {
      this.finish(flight, queueFull(deps.config.name, this.admission.queued));
      return;
    }
    this.flights.track(flight);
    if (admitted === 'run') this.run(flight);
  }

  private run(flight: Flight): void {
    flight.state = 'running';
    this.dispatch(flight, this);
  }

  /** @internal The attempt path's outcome: a fresh (or a peer's) answer. */
  onAnswer(flight: Flight, answer: FlightAnswer): void {
    this.ended(flight, answer);
  }

  /** @internal The attempt path's outcome: a failure. */
  onFailure(flight: Flight, error: LlmActorsError): void {
    this.ended(flight, error);
  }

  private ended(flight: Flight, outcome: FlightAnswer | LlmActorsError): void {
    if (this.dead) return;
    try {
      this.finish(flight, outcome);
      const next = this.admission.release();
      if (next !== undefined) this.run(next);
      this.notifyIdle();
    } catch (error) {
      this.fault(error);
    }
  }

  /** Settles every waiter of a finished flight and stores a fresh answer. */
  private finish(flight: Flight, outcome: FlightAnswer | LlmActorsError): void {
    flight.state = 'done';
    this.flights.unshare(flight);
    if (outcome instanceof LlmActorsError) {
      this.own.releaseLock(flight);
      for (const waiter of flight.waiters) this.fail(waiter, outcome, flight.attempts === 0);
    } else if (flight.fromPeer) {
      for (const waiter of flight.waiters)
        this.resolve(waiter, outcome.completion, true, undefined, false);
    } else {
      if (flight.key !== undefined) this.own.store(flight.key, outcome.completion, flight.lock);
      let first = true;
      for (const waiter of flight.waiters) {
        this.resolve(waiter, outcome.completion, false, first ? outcome.raw : undefined, first);
        first = false;
      }
    }
    flight.waiters.clear();
    // Only now: should settling throw, a crash still finds this flight and its waiters.
    this.flights.forget(flight);
  }

  /** A waiter's deadline passed or its signal aborted: it leaves its flight now. */
  private leave(waiter: Waiter, why: 'timeout' | 'aborted'): void {
    if (waiter.settled) return;
    const name = this.own.deps.config.name;
    const error = why === 'timeout' ? timedOut(name, waiter.timeoutMs) : aborted(name);
    const flight = waiter.flight;
    this.fail(waiter, error, flight === undefined || flight.attempts === 0);
    if (flight === undefined) return;
    flight.waiters.delete(waiter);
    if (flight.waiters.size > 0 || flight.state === 'done') return;
    this.flights.unshare(flight);
    if (flight.state === 'queued') {
      flight.state = 'done';
      this.flights.forget(flight);
      this.admission.left();
      this.notifyIdle();
    } else {
      flight.cancel.abort(error);
    }
  }

  private resolve(
    waiter: Waiter,
    value: CachedCompletion,
    cacheHit: boolean,
    raw: unknown,
    paid: boolean,
  ): void {
    const latencyMs = performance.now() - waiter.t0;
    const completion = completionOf(value, this.own.deps.config.name, cacheHit, latencyMs, raw);
    this.settle(waiter);
    waiter.resolve(completion);
    this.own.deps.observer.succeeded(waiter, completion, paid ? value.usage : undefined);
  }

  /** Settles a waiter with `error` (once) and returns the error. */
  private fail(waiter: Waiter, error: LlmActorsError, beforeAnyAttempt: boolean): LlmActorsError {
    if (!waiter.settled) {
      this.settle(waiter);
      waiter.reject(error);
      const rejected =
        error.code === 'QUEUE_FULL' || (error.code === 'FUSE_OPEN' && beforeAnyAttempt);
      this.own.deps.observer.failed(waiter, error, this.own.deps.clock.now(), rejected);
    }
    return error;
  }

  private settle(waiter: Waiter): void {
    waiter.settled = true;
    disarm(waiter, this.own.deps.clock);
  }

  private fault(error: unknown): void {
    if (!this.dead) this.onCrash(this, error);
  }

  private isIdle(): boolean {
    return this.flights.size === 0 && this.own.pendingWrites === 0;
  }

  private notifyIdle(): void {
    if (this.idle.length === 0 || !this.isIdle()) return;
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }
}

function noop(): void {}
