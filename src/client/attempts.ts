/**
 * The attempts of a flight, as stages in the shape of undici's interceptors: each stage takes
 * the next one's dispatch and returns its own, and they are composed once per incarnation —
 * fleet lock ∘ retry ∘ fuse gate ∘ provider call. A stage reports through the handler it was
 * given, never by throwing, and nothing here is a promise chain per stage.
 */
import type { Clock } from '../model/clock.js';
import type { LlmActorsError } from '../model/errors.js';
import type { Usage } from '../model/request.js';
import { fuseOpen } from '../model/failures.js';
import { AttemptWatch, type AttemptLimits } from '../policy/attempt-watch.js';
import type { Cancellation } from '../policy/cancellation.js';
import { classify, fuseOutcome } from '../policy/classify.js';
import type { Fuse } from '../policy/fuse.js';
import type { Park } from '../policy/park.js';
import { STOP, type RetryPolicy } from '../policy/retry.js';
import type { Provider, ProviderCall } from '../providers/provider.js';
import type { Flight, FlightAnswer } from './flight.js';

/** Where an attempt's outcome goes. */
export interface AttemptHandler {
  onAnswer(flight: Flight, answer: FlightAnswer): void;
  onFailure(flight: Flight, error: LlmActorsError): void;
}

/** Starts the attempts of a flight; the outcome arrives at `handler`, once. */
export type Dispatch = (flight: Flight, handler: AttemptHandler) => void;

/** One stage of the attempt path. */
export type Stage = (next: Dispatch) => Dispatch;

/** Composes stages outermost first around `inner`. */
export function compose(stages: readonly Stage[], inner: Dispatch): Dispatch {
  let dispatch = inner;
  for (let i = stages.length - 1; i >= 0; i--) dispatch = stages[i]!(dispatch);
  return dispatch;
}

/** What the provider stage needs of its client. */
export interface ProviderStageDeps {
  client: string;
  provider: Provider;
  secrets: readonly string[];
  /** Where a throw of the path's own code goes (it runs outside the caller's stack). */
  onFault: Fault;
  /** A streamed attempt failed after its usage was reported: what it billed. */
  onPaid: (flight: Flight, usage: Usage) => void;
  clock: Clock;
  /** The client's attempt time limits, when it sets any (each attempt is then watched). */
  limits: AttemptLimits | undefined;
  /** Parked by a 429 that names a time. */
  park: Park;
  /** Counts a stream event skipped because it was not JSON. */
  onSkipped: (why: string) => void;
}

/** Receives a fault of the actor's own code found on the attempt path. */
export type Fault = (error: unknown) => void;

/**
 * The innermost dispatch: one upstream call, its failure typed (a 429 that names a time parks
 * the client). With time limits, the attempt runs under a watch of its own.
 */
export function providerCall(deps: ProviderStageDeps): Dispatch {
  const { client, provider, secrets, onFault, clock, limits, park, onSkipped, onPaid } = deps;
  return (flight, handler) => {
    const sink = flight.sink;
    const watch =
      limits === undefined
        ? undefined
        : new AttemptWatch(limits, clock, flight.cancel, sink !== undefined);
    const cancel = watch === undefined ? flight.cancel : watch.cancel;
    const call: ProviderCall = { messages: flight.messages, params: flight.params, cancel };
    if (watch !== undefined) call.watch = watch;
    if (sink !== undefined) {
      call.onSkipped = onSkipped;
      call.onDelta = (chunk, resume) => {
        if (!flight.delivered) {
          flight.delivered = true;
          watch?.token();
        } else watch?.data();
        if (sink.delta(chunk)) return true;
        // The consumer is behind: the transport pauses until it has read its buffer down.
        sink.onDrain(resume);
        return false;
      };
      call.onPaid = (usage) => onPaid(flight, usage);
    }
    provider.call(call).then(
      (answer) => {
        watch?.end();
        settle(handler.onAnswer, handler, flight, answer, onFault);
      },
      (thrown: unknown) => {
        watch?.end();
        const error = classify(thrown, cancel, client, secrets);
        park.observe(error);
        settle(handler.onFailure, handler, flight, error, onFault);
      },
    );
  };
}

/**
 * Passes an outcome on from a promise callback, where a throw would otherwise become an
 * unhandled rejection: it is a fault of the path's own code. (A `.catch` would cost a promise
 * per attempt.)
 */
function settle<T>(
  to: (flight: Flight, outcome: T) => void,
  handler: AttemptHandler,
  flight: Flight,
  outcome: T,
  onFault: Fault,
): void {
  try {
    to.call(handler, flight, outcome);
  } catch (fault) {
    onFault(fault);
  }
}

/**
 * Every attempt asks the fuse first and reports its outcome to it; a flight whose callers
 * have all gone makes no attempt.
 */
export function fuseGate(client: string, fuse: Fuse, clock: Clock): Stage {
  return (next) => (flight, handler) => {
    if (flight.cancel.aborted) {
      handler.onFailure(flight, classify(flight.cancel.reason, flight.cancel, client, []));
      return;
    }
    const ticket = fuse.ask();
    if (!ticket.ok) {
      handler.onFailure(flight, fuseOpen(client, ticket.retryAt, clock.now(), flight.last));
      return;
    }
    flight.attempts++;
    next(flight, new FuseReport(fuse, ticket.probe, handler));
  };
}

/** Tells the fuse how one attempt went, then passes the outcome on. */
class FuseReport implements AttemptHandler {
  constructor(
    private readonly fuse: Fuse,
    private readonly probe: boolean,
    private readonly handler: AttemptHandler,
  ) {}

  onAnswer(flight: Flight, answer: FlightAnswer): void {
    this.fuse.report('success', this.probe);
    this.handler.onAnswer(flight, answer);
  }

  onFailure(flight: Flight, error: LlmActorsError): void {
    this.fuse.report(fuseOutcome(error), this.probe);
    this.handler.onFailure(flight, error);
  }
}

/**
 * What the retry stage reports of each failed attempt: the delay before the next one, or
 * `undefined` when none follows.
 */
export type OnAttemptFailed = (
  flight: Flight,
  error: LlmActorsError,
  delay: number | undefined,
) => void;

/**
 * Tries again as the policy says, never once a delta has reached the caller or the callers
 * have gone; the wait is cut short when the flight is cancelled.
 */
export function retrying(
  policy: RetryPolicy,
  clock: Clock,
  onFault: Fault,
  onAttemptFailed: OnAttemptFailed,
): Stage {
  return (next) => (flight, handler) =>
    next(flight, new Retrying(next, handler, policy, clock, onFault, onAttemptFailed));
}

/** One flight's retries: a class, so a flight costs one object here and no closures. */
class Retrying implements AttemptHandler {
  constructor(
    private readonly next: Dispatch,
    private readonly handler: AttemptHandler,
    private readonly policy: RetryPolicy,
    private readonly clock: Clock,
    private readonly onFault: Fault,
    private readonly onAttemptFailed: OnAttemptFailed,
  ) {}

  onAnswer(flight: Flight, answer: FlightAnswer): void {
    this.handler.onAnswer(flight, answer);
  }

  onFailure(flight: Flight, error: LlmActorsError): void {
    flight.last = error;
    const delay =
      flight.cancel.aborted || flight.delivered || flight.once
        ? STOP
        : this.policy.next(error, flight.attempts, flight.deadline - this.clock.now());
    if (delay === STOP) {
      this.onAttemptFailed(flight, error, undefined);
      this.handler.onFailure(flight, error);
      return;
    }
    this.onAttemptFailed(flight, error, delay);
    sleep(this.clock, delay, flight.cancel, () => {
      try {
        this.next(flight, this);
      } catch (fault) {
        this.onFault(fault);
      }
    });
  }
}

/** Runs `then` after `ms`, or soon after `cancel` aborts, once. */
function sleep(clock: Clock, ms: number, cancel: Cancellation, then: () => void): void {
  if (ms <= 0) {
    queueMicrotask(then);
    return;
  }
  const timer = clock.setTimeout(() => {
    cancel.off(cut);
    then();
  }, ms);
  // Deferred: the abort comes from inside whoever cancelled, which should finish first.
  const cut = () => {
    clock.clearTimeout(timer);
    queueMicrotask(then);
  };
  cancel.onAbort(cut);
}

/** The fleet's single-flight, as the lock stage uses it. */
export interface FleetTurns {
  /**
   * Waits for this process's turn to call upstream for `key`: the answer another process
   * stored meanwhile, or the lock's token (`undefined` when Redis cannot be asked).
   */
  turn(
    key: string,
    deadline: number,
    cancelled: () => boolean,
  ): Promise<{ hit: FlightAnswer['completion'] } | { token: string | undefined }>;
}

/**
 * Across processes, one caller per key: a cacheable flight takes the fleet lock (or gets the
 * answer of the process holding it) before its attempts. A fault here is the actor's own.
 */
export function fleetLock(turns: FleetTurns, onFault: Fault): Stage {
  return (next) => (flight, handler) => {
    const key = flight.key;
    if (key === undefined || flight.sink !== undefined) {
      next(flight, handler);
      return;
    }
    turns
      .turn(key, flight.deadline, () => flight.cancel.aborted)
      .then((turn) => {
        if ('hit' in turn) {
          flight.fromPeer = true;
          handler.onAnswer(flight, { completion: turn.hit, raw: undefined });
          return;
        }
        flight.lock = turn.token;
        next(flight, handler);
      })
      .catch(onFault);
  };
}
