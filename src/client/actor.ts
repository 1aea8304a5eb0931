/**
 * The client actor: one incarnation of a named client, orchestrating `cache lookup ->
 * single-flight -> admission -> attempts -> store -> reply` with many requests in flight. Callers
 * wait as waiters on a flight (one upstream call sequence) shared by identical cacheable requests,
 * each with its own deadline and signal; a flight is aborted only when its last waiter has left.
 * Its parts live beside it and never import it. Provider failures are typed errors that feed the
 * fuse; anything else escaping the path is a crash of the actor.
 */
import { nanoid } from 'nanoid';
import type { KeyWriter } from '../cache/key.js';
import type { CachedCompletion } from '../model/answer.js';
import { LlmActorsError, isLlmActorsError } from '../model/errors.js';
import { aborted, restarted } from '../model/failures.js';
import type { Cancellation } from '../policy/cancellation.js';
import type { Park } from '../policy/park.js';
import type { ChatMessage, Completion, RequestOptions } from '../model/request.js';
import type { LiveHealth } from '../observe/health.js';
import { Admission } from './admission.js';
import { replay } from './stream.js';
import { checkedOutcome } from './structured.js';
import type { AttemptHandler, Dispatch } from './attempts.js';
import type { Flight, FlightAnswer, StreamSink, Waiter } from './flight.js';
import { Flights, newFlight } from './flights.js';
import { Incarnation, type IncarnationDeps } from './incarnation.js';
import { keyWriter } from './params.js';
import { Reply } from './reply.js';
import { leaveFlight } from './leave.js';
import { arm, newWaiter } from './waiter.js';

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
  /** Where a provider's 429 parks the client: `parkedUntil(actor)` (policy/park) asks it. */
  readonly park: Park;
  private readonly flights: Flights;
  private readonly admission: Admission;
  private readonly dispatch: Dispatch;
  private readonly reply: Reply;
  private readonly keys: KeyWriter;
  private readonly leaveBound = (w: Waiter, why: 'timeout' | 'aborted') => this.leave(w, why);
  private dead = false;
  /** Requests taken so far: with the incarnation id, each request's id (unique, no RNG). */
  private served = 0;

  private constructor(
    private readonly own: Incarnation,
    private readonly onCrash: ActorDeps['onCrash'],
  ) {
    this.startedAt = own.deps.clock.now();
    this.park = own.park;
    const config = own.deps.config;
    const fault = (error: unknown) => this.fault(error);
    this.admission = new Admission(config, own.gate, {
      run: (flight) => this.run(flight),
      refuse: (flight, error) => this.ended(flight, error, false), // it held no slot
      fault,
    });
    this.flights = new Flights(() => own.pendingWrites);
    this.keys = keyWriter(config);
    this.reply = new Reply(config.name, own.deps.clock, own.deps.observer);
    this.dispatch = own.attemptPath(fault);
    own.onFault = fault;
    own.onWritten = () => this.flights.notifyIdle();
  }

  /** Opens the actor's resources and starts it. */
  static async start(deps: ActorDeps): Promise<ClientActor> {
    return new ClientActor(await Incarnation.open(deps), deps.onCrash);
  }

  /** What health reads of this incarnation now. */
  live(): LiveHealth {
    return {
      fuse: this.own.fuse.snapshot(),
      inFlight: this.admission.running,
      queued: this.admission.queued,
      parkedUntil: this.park.parkedUntil(),
      fleet: this.own.fleet(),
    };
  }

  /**
   * Runs one validated request by its absolute `deadline`; `once`: no retries and `cancel`: its
   * cancellation (a group's member call, which fails over instead).
   * Not async (a turn saved here is saved on every request); rejects only with typed errors.
   */
  request(
    messages: ChatMessage[],
    options: RequestOptions | undefined,
    deadline: number,
    sink?: StreamSink,
    once = false,
    cancel?: Cancellation,
  ): Promise<Completion> {
    const { config, observer } = this.own.deps;
    const id = options?.requestId ?? `${this.id}.${(++this.served).toString(36)}`;
    const waiter = newWaiter(id, config, messages, options, deadline, once);
    let promise: Promise<Completion> | undefined;
    try {
      observer.started(waiter, sink !== undefined);
      if (waiter.signal?.aborted) {
        return Promise.reject(this.reply.fail(waiter, aborted(config.name), true));
      }
      promise = new Promise<Completion>((resolve, reject) => {
        waiter.resolve = resolve;
        waiter.reject = reject;
      });
      this.begin(waiter, options?.cache ?? true, sink, cancel);
      return promise;
    } catch (error) {
      const failure = this.crashed(waiter, error);
      if (promise === undefined) return Promise.reject(failure);
      // The caller holds `promise` already: it is the one to settle (once).
      this.reply.fail(waiter, failure, false);
      return promise;
    }
  }

  /** Looks the request up in the cache (`'refresh'` only stores); a miss joins or launches. */
  private begin(
    waiter: Waiter,
    useCache: boolean | 'refresh',
    sink: StreamSink | undefined,
    cancel: Cancellation | undefined,
  ): void {
    const cache = useCache === false ? null : this.own.cache;
    const key =
      cache === null ? undefined : this.keys.key(waiter.messages, waiter.params, waiter.rolloutId);
    const found = key === undefined || useCache === 'refresh' ? undefined : cache!.lookup(key);
    if (found !== undefined && !(found instanceof Promise) && sink === undefined) {
      // A memory hit is answered now: no deadline timer or abort listener to set up only to
      // tear it down again.
      this.proceed(waiter, key, found, sink);
      return;
    }
    arm(waiter, this.own.deps.clock, this.leaveBound);
    sink?.onCancel(() => this.leave(waiter, 'aborted'));
    cancel?.onAbort(() => this.leave(waiter, 'aborted'));
    if (found instanceof Promise) {
      found
        .then((hit) => this.proceed(waiter, key, hit, sink))
        .catch((error: unknown) => this.crashed(waiter, error));
    } else {
      this.proceed(waiter, key, found, sink);
    }
  }

  /** An untyped error inside the path: the request gets CLIENT_RESTARTED, the actor crashes. */
  private crashed(waiter: Waiter, error: unknown): LlmActorsError {
    if (isLlmActorsError(error)) return error;
    const crashed = restarted(this.own.deps.config.name, error);
    this.reply.fail(waiter, crashed, false);
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
      if (sink) replay(sink, hit);
      this.reply.resolve(waiter, hit, true, undefined, false);
      return;
    }
    if (this.dead) {
      this.reply.fail(waiter, restarted(this.own.deps.config.name), false);
      return;
    }
    if (sink === undefined && this.flights.join(key, waiter)) {
      this.own.deps.observer.joined(waiter, waiter.flight!);
    } else this.launch(key, waiter, sink);
  }

  /** Whether the fuse lets a request through now; takes no probe (a group asks its members). */
  admitsNow(): boolean {
    return this.own.fuse.peek().ok;
  }

  /** Caps the open time of this incarnation's fuse at `ms` (groups; see Fuse.cap). */
  capFuse(ms: number): void {
    this.own.fuse.cap(ms);
  }
  /** Drops every cached answer of this client (see {@link Incarnation.clearCache}). */
  clearCache(): Promise<void> {
    return this.own.clearCache();
  }

  /** Crashed or killed: every waiter gets CLIENT_RESTARTED, resources go. Idempotent. */
  crash(reason: unknown): void {
    if (this.dead) return;
    this.abort(restarted(this.own.deps.config.name, reason));
    void this.own.close(true, this.flights.drain());
  }

  /** Ends every request now with `error`, aborting upstream; resources stay until close. */
  abort(error: LlmActorsError): void {
    this.dead = true;
    for (const flight of this.flights.drainAll()) {
      flight.state = 'done';
      // Other processes wait on this lock: give it back now rather than at its expiry.
      this.own.releaseLock(flight);
      flight.cancel.abort(error);
      for (const waiter of flight.waiters) this.reply.fail(waiter, error, false);
      flight.waiters.length = 0;
    }
    this.admission.clear();
    this.own.fuse.stop();
    this.flights.notifyIdle();
  }

  /** Waits until nothing is in flight, queued or being written, then closes. Idempotent. */
  async close(): Promise<void> {
    await this.flights.drain();
    this.dead = true;
    this.own.fuse.stop();
    await this.own.close(false, Promise.resolve());
  }

  private launch(key: string | undefined, waiter: Waiter, sink: StreamSink | undefined): void {
    const flight = newFlight(waiter, key, sink);
    waiter.flight = flight;
    const admitted = this.own.fuseRefusal() ?? this.admission.admit(flight);
    if (admitted instanceof LlmActorsError) {
      this.finish(flight, admitted);
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

  private ended(flight: Flight, outcome: FlightAnswer | LlmActorsError, ran = true): void {
    if (this.dead) return;
    try {
      this.finish(flight, outcome);
      const next = ran ? this.admission.release(flight, outcome) : undefined;
      if (next !== undefined) this.run(next);
      this.flights.notifyIdle();
    } catch (error) {
      this.fault(error);
    }
  }

  /** Settles every waiter of a finished flight and stores a fresh answer. */
  private finish(flight: Flight, outcome: FlightAnswer | LlmActorsError): void {
    flight.state = 'done';
    outcome = checkedOutcome(this.own.deps.config.name, flight, outcome);
    this.flights.unshare(flight);
    if (outcome instanceof LlmActorsError) {
      this.own.releaseLock(flight);
    } else if (!flight.fromPeer && flight.key !== undefined) {
      this.own.store(flight.key, outcome.completion, flight.lock);
    }
    this.reply.settleAll(flight, outcome);
    flight.waiters.length = 0;
    // Only now: should settling throw, a crash still finds this flight and its waiters.
    this.flights.forget(flight);
  }

  /** A waiter's deadline passed or its signal aborted: it leaves its flight now. */
  private leave(waiter: Waiter, why: 'timeout' | 'aborted'): void {
    leaveFlight(waiter, why, this.own.deps.config.name, this.reply, this.flights, this.admission);
  }

  private fault(error: unknown): void {
    if (!this.dead) this.onCrash(this, error);
  }
}
