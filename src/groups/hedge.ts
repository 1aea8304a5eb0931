/**
 * The timer of a group's `hedge`: when it fires before the first member has answered, the next
 * member starts beside it. Made only for groups with a hedge.
 */
import type { Clock, TimerHandle } from '../model/clock.js';

/** One call's hedge timer. */
export class HedgeTimer {
  private timer: TimerHandle | undefined;

  constructor(private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>) {}

  /** True while it waits to fire. */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** Calls `fire` after `afterMs`, unless cleared first. */
  arm(afterMs: number, fire: () => void): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      fire();
    }, afterMs);
  }

  /** Stops it (nothing when it is not armed). */
  clear(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
