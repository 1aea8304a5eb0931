/**
 * The flights of one incarnation, and single-flight: identical cacheable requests (same key)
 * that arrive while one is under way wait on it instead of calling upstream again.
 * Streamed flights are tracked but never shared.
 */
import { Cancellation } from '../policy/cancellation.js';
import type { Flight, StreamSink, Waiter } from './flight.js';

/** A new flight launched by `waiter`, queued until admitted. */
export function newFlight(
  waiter: Waiter,
  key: string | undefined,
  sink: StreamSink | undefined,
): Flight {
  return {
    id: waiter.id,
    key,
    messages: waiter.messages,
    params: waiter.params,
    cancel: new Cancellation(),
    waiters: [waiter],
    deadline: waiter.deadline,
    attempts: 0,
    state: 'queued',
    sink,
    delivered: false,
    span: waiter.span,
    once: waiter.once,
  };
}

/** Every flight under way, and the shareable ones by key. */
export class Flights {
  private readonly shared = new Map<string, Flight>();
  /**
   * One-attempt flights (groups' calls), shared among themselves only: a group's caller must
   * not wait out another caller's retries, nor take another caller's retries away.
   */
  private readonly sharedOnce = new Map<string, Flight>();
  private readonly live = new Set<Flight>();
  private idle: Array<() => void> = [];

  /** `otherWork` counts what else keeps the incarnation busy (cache writes under way). */
  constructor(private readonly otherWork: () => number) {}

  /** How many flights are under way (queued or running). */
  get size(): number {
    return this.live.size;
  }

  /**
   * Adds `waiter` to the flight already under way for `key`, if there is one; the flight's
   * deadline stretches to the latest of its waiters.
   */
  join(key: string | undefined, waiter: Waiter): boolean {
    if (key === undefined) return false;
    const flight = (waiter.once ? this.sharedOnce : this.shared).get(key);
    if (flight === undefined) return false;
    flight.waiters.push(waiter);
    waiter.flight = flight;
    if (waiter.deadline > flight.deadline) flight.deadline = waiter.deadline;
    return true;
  }

  /** Starts tracking a flight (and sharing it, when it can be shared). */
  track(flight: Flight): void {
    this.live.add(flight);
    if (flight.key === undefined || flight.sink !== undefined) return;
    (flight.once ? this.sharedOnce : this.shared).set(flight.key, flight);
  }

  /** Newcomers stop joining `flight` (it has ended, or nobody waits on it any more). */
  unshare(flight: Flight): void {
    const shared = flight.once ? this.sharedOnce : this.shared;
    if (flight.key !== undefined && shared.get(flight.key) === flight) shared.delete(flight.key);
  }

  /** Stops tracking a finished flight. */
  forget(flight: Flight): void {
    this.live.delete(flight);
  }

  /** Takes every flight out (the incarnation is gone) and returns them. */
  drainAll(): Flight[] {
    const all = [...this.live];
    this.live.clear();
    this.shared.clear();
    this.sharedOnce.clear();
    return all;
  }

  /** Waits until no flight is under way and no other work is pending. */
  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Wakes the drains when all work is done; call after anything that may end work. */
  notifyIdle(): void {
    if (this.idle.length === 0 || !this.isIdle()) return;
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }

  private isIdle(): boolean {
    return this.live.size === 0 && this.otherWork() === 0;
  }
}
