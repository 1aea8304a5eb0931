/**
 * A clock the test moves by hand, for runtimes that talk to real local servers: sockets run on
 * the real event loop while every timer of the runtime (deadlines, retry sleeps, time limits,
 * rate waits, parks) fires only when the test advances this clock.
 */
import type { ClientConfig, Clock, Runtime } from '../../src/index.js';
import { runtimePerTest } from './runtime.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A hand-driven {@link Clock}; jitter is pinned to half the backoff. */
export class ManualClock implements Clock {
  private t = Date.UTC(2026, 0, 1);
  private seq = 0;
  private readonly timers = new Set<Timer>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { at: this.t + Math.max(0, ms), seq: ++this.seq, fn };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as Timer);
  }

  random(): number {
    return 0.5;
  }

  /** Timers pending. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time on by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.timers) {
        if (
          timer.at <= end &&
          (next === undefined ||
            timer.at < next.at ||
            (timer.at === next.at && timer.seq < next.seq))
        ) {
          next = timer;
        }
      }
      if (next === undefined) break;
      this.timers.delete(next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

/** Lets real I/O and promise callbacks run (a few turns of the event loop). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits (on real I/O, never on the runtime's clock) until `done()` holds: the test's socket
 * traffic needs real turns of the event loop. Fails after `tries` turns.
 */
export async function until(done: () => boolean, tries = 2_000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error('the condition did not come true');
}

/** Runtimes on a hand-moved clock, each with one client `c`; see {@link clockedPerTest}. */
export interface Clocked {
  /** Starts a runtime on a new clock; `c` is an openai client `gpt` without cache unless `config` says. */
  start(config: Partial<ClientConfig>): Promise<Runtime>;
  /** The clock of the runtime started last. */
  readonly clock: ManualClock;
  /** Closes `upstream` after the test (after the runtimes stop); returns it. */
  own<T extends { close(): Promise<unknown> }>(upstream: T): T;
}

/** Registers the cleanup (runtimes stopped, then the upstreams closed) and returns the starter. */
export function clockedPerTest(): Clocked {
  const owned: Array<{ close(): Promise<unknown> }> = [];
  const runtimes = runtimePerTest(() => Promise.all(owned.splice(0).map((u) => u.close())));
  let clock = new ManualClock();
  return {
    start(config) {
      clock = new ManualClock();
      const c = { provider: 'openai', model: 'gpt', cache: false, ...config } as ClientConfig;
      return runtimes.start({ clients: { c }, clock });
    },
    get clock() {
      return clock;
    },
    own(upstream) {
      owned.push(upstream);
      return upstream;
    },
  };
}
