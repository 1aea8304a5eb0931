/**
 * The gate before the concurrency slots: a flight goes on only while its client is not parked
 * (a provider's 429 that named a time) and its rate budget has room. Flights that must wait
 * wait here, first come first served, each as long as its deadline allows: one that would
 * still be waiting at its deadline is refused at once with RATE_LIMITED, and so is a group's
 * attempt that would have to wait at all (its group moves on to another member).
 */
import type { Clock, TimerHandle } from '../model/clock.js';
import { LlmActorsError } from '../model/errors.js';
import { queueFull, rateLimited } from '../model/failures.js';
import type { Park } from '../policy/park.js';
import { estimateTokens, type RateBudget } from '../policy/rate-budget.js';
import type { Flight, FlightAnswer } from './flight.js';

/** Where the gate sends the flights it held once they may go on, or must not. */
export interface GateExits {
  pass(flight: Flight): void;
  refuse(flight: Flight, error: LlmActorsError): void;
  /** A throw of the path's own code while the gate moved a flight on (from a timer). */
  fault(error: unknown): void;
}

/** One incarnation's gate. */
export class RateGate {
  /** Flights waiting here and not left. */
  held = 0;
  private readonly queue: Flight[] = [];
  private timer: TimerHandle | undefined;
  /** When the head's timer fires (epoch ms), while it is set. */
  private wakeAt = 0;
  /**
   * The flights whose take a fleet budget is answering. Several are asked at once (Redis runs
   * the takes in the order sent): one round trip at a time would hold a burst behind a slow
   * Redis until its deadlines passed.
   */
  private readonly asking = new Set<Flight>();
  private exits: GateExits | undefined;
  private readonly wake = () => {
    this.timer = undefined;
    this.park.hold(0);
    this.guarded();
  };

  /**
   * @param budget - the client's rate budget, if it has a `rateLimit`
   * @param countTokens - the budget counts tokens: each flight is charged an estimate
   */
  constructor(
    private readonly client: string,
    private readonly park: Park,
    private readonly budget: RateBudget | undefined,
    private readonly countTokens: boolean,
    private readonly clock: Clock,
  ) {}

  /** Where held flights go (set once by the admission that owns the gate). */
  open(exits: GateExits): void {
    this.exits = exits;
  }

  /**
   * `'pass'`: go on now (the budget is taken). `'held'`: the flight waits here and leaves
   * through the exits. An error: RATE_LIMITED, it would wait past its deadline (or at all, for
   * a group's attempt); QUEUE_FULL, it would wait with `maxQueue` flights waiting already.
   */
  enter(flight: Flight): 'pass' | 'held' | LlmActorsError {
    if (this.queue.length > 0) {
      // Behind flights that only wait for a fleet budget's answer: it asks too, at once.
      if (this.timer === undefined && this.asking.size > 0 && this.park.pausedUntil() === null) {
        this.hold(flight);
        this.ask(flight, this.budget!.take(this.charge(flight)));
        return 'held';
      }
      // Behind others: refused at once when even the head waits past this deadline.
      const parked = this.park.pausedUntil();
      const until = Math.max(this.timer === undefined ? 0 : this.wakeAt, parked ?? 0);
      const now = this.clock.now();
      if (until <= now || this.mayWait(flight, until)) return this.hold(flight);
      return this.refusal(flight, until - now, parked !== null);
    }
    const parked = this.park.pausedUntil();
    if (parked !== null) {
      if (!this.mayWait(flight, parked)) {
        return this.refusal(flight, parked - this.clock.now(), true);
      }
      this.hold(flight);
      this.sleep(parked);
      return 'held';
    }
    // Neither parked nor limited (the common case): no clock read.
    if (this.budget === undefined) return 'pass';
    const taken = this.budget.take(this.charge(flight));
    if (taken === 0) return 'pass';
    if (typeof taken === 'number') {
      const now = this.clock.now();
      if (!this.mayWait(flight, now + taken)) return this.refusal(flight, taken, false);
      this.hold(flight);
      this.sleep(now + taken, true);
      return 'held';
    }
    this.hold(flight);
    this.ask(flight, taken);
    return 'held';
  }

  /**
   * Settles what a flight that ran was charged: its real usage instead of the estimate, nothing
   * for a failure that sent the caller nothing (a stream that had delivered keeps its charge),
   * and not even the request for an answer another process of the fleet paid for.
   */
  settle(flight: Flight, outcome: FlightAnswer | LlmActorsError): void {
    const charged = flight.rateTokens;
    if (this.budget === undefined || charged === undefined) return;
    if (outcome instanceof LlmActorsError) {
      if (!flight.delivered && charged > 0) this.budget.adjust(0, -charged);
    } else if (flight.fromPeer) {
      this.refund(flight);
    } else if (this.countTokens) {
      const used = outcome.completion.usage.totalTokens;
      if (used > 0 && used !== charged) this.budget.adjust(0, used - charged);
    }
  }

  /** Gives back a charge whose flight never ran. */
  refund(flight: Flight): void {
    if (this.budget !== undefined && flight.rateTokens !== undefined) {
      this.budget.adjust(-1, -flight.rateTokens);
    }
  }

  /** A held flight's callers have all gone: it is skipped when its turn comes. */
  left(flight: Flight): void {
    flight.held = false;
    this.held--;
  }

  /** Forgets every held flight and stops the timer (the incarnation is gone). */
  clear(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.park.hold(0);
    this.queue.length = 0;
    this.asking.clear();
    this.held = 0;
  }

  /**
   * Whether `flight` may wait here until `until`: within its deadline, not a group's attempt
   * (`once`), which moves on at once to a member that can answer now, and not one that came
   * when `maxQueue` flights waited already (`noWait`).
   */
  private mayWait(flight: Flight, until: number): boolean {
    return until <= flight.deadline && !flight.once && flight.noWait !== true;
  }

  /** The error of a flight that may not wait `waitMs` (`parked`: for a provider's 429). */
  private refusal(flight: Flight, waitMs: number, parked: boolean): LlmActorsError {
    if (flight.noWait === true) return queueFull(this.client, this.held);
    return rateLimited(this.client, waitMs, parked, !flight.once);
  }

  /** The tokens `flight` is charged (estimated once, when it first asks). */
  private charge(flight: Flight): number {
    flight.rateTokens ??= this.countTokens
      ? estimateTokens(flight.messages, flight.params.maxTokens)
      : 0;
    return flight.rateTokens;
  }

  private hold(flight: Flight): 'held' {
    flight.held = true;
    this.held++;
    this.queue.push(flight);
    return 'held';
  }

  /** Sets the head's timer; `budget`: it waits for the rate budget (which parks the client). */
  private sleep(until: number, budget = false): void {
    if (budget) this.park.hold(until);
    this.wakeAt = until;
    this.timer = this.clock.setTimeout(this.wake, Math.max(0, until - this.clock.now()));
  }

  /** {@link pump} from a timer or a promise, where a throw would escape: it is a fault. */
  private guarded(): void {
    try {
      this.pump();
    } catch (error) {
      this.exits!.fault(error);
    }
  }

  /** Lets the flights at the head go on while they may; the first that must wait sets a timer. */
  private pump(): void {
    while (this.queue.length > 0 && this.timer === undefined) {
      const flight = this.queue[0]!;
      if (!flight.held) {
        this.queue.shift();
        continue;
      }
      if (this.asking.has(flight)) break;
      const now = this.clock.now();
      const parked = this.park.pausedUntil();
      if (parked !== null) {
        if (!this.mayWait(flight, parked))
          this.out(flight, this.refusal(flight, parked - now, true));
        else this.sleep(parked);
        continue;
      }
      const taken = this.budget === undefined ? 0 : this.budget.take(this.charge(flight));
      if (typeof taken !== 'number') this.ask(flight, taken);
      else if (taken === 0) this.out(flight, undefined);
      else if (!this.mayWait(flight, now + taken)) {
        this.out(flight, this.refusal(flight, taken, false));
      } else this.sleep(now + taken, true);
    }
  }

  /** The head leaves: on through `pass`, or refused with `error`. */
  private out(flight: Flight, error: LlmActorsError | undefined): void {
    this.queue.shift();
    this.leave(flight, error);
  }

  /** `flight`, out of the queue, goes on through `pass` or is refused with `error`. */
  private leave(flight: Flight, error: LlmActorsError | undefined): void {
    this.left(flight);
    if (error === undefined) this.exits!.pass(flight);
    else this.exits!.refuse(flight, error);
  }

  /** A fleet budget's answer (or, with Redis gone meanwhile, the local one) for `flight`. */
  private ask(flight: Flight, taken: number | Promise<number>): void {
    this.asking.add(flight);
    void Promise.resolve(taken).then((wait) => {
      try {
        this.answered(flight, wait);
      } catch (error) {
        this.exits!.fault(error);
      }
    });
  }

  /**
   * `flight`'s take answered: it goes on (even ahead of a head that must wait: the budget is
   * its), is refused, or waits — on a timer if it is the head, else until its turn comes.
   */
  private answered(flight: Flight, wait: number): void {
    if (!this.asking.delete(flight)) return;
    const at = this.queue.indexOf(flight);
    if (at < 0 || !flight.held) {
      // Its callers went while Redis answered: what it took goes back.
      if (wait === 0) this.refund(flight);
    } else if (wait === 0) {
      this.queue.splice(at, 1);
      this.leave(flight, undefined);
    } else if (!this.mayWait(flight, this.clock.now() + wait)) {
      this.queue.splice(at, 1);
      this.leave(flight, this.refusal(flight, wait, false));
    } else if (at === 0 && this.timer === undefined) {
      this.sleep(this.clock.now() + wait, true);
    }
    this.pump();
  }
}
