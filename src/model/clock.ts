/**
 * The time seam: actors read time and set timers only through a {@link Clock}, so tests drive
 * them with fake timers or a hand-made clock instead of waiting.
 */

/** An opaque timer handle. */
export type TimerHandle = unknown;

/** What the runtime needs of time. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Schedule `fn` after `ms`; the timer keeps the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancel a timer from {@link Clock.setTimeout}. */
  clearTimeout(handle: TimerHandle): void;
  /** A number in [0, 1) for retry jitter. */
  random(): number;
}

/**
 * The real clock. It looks the globals up on every call (not once at load) so that fake timers
 * installed after import are honoured.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
};

/** Lets a timer not hold the process open (a fuse reset should not delay exit). */
export function unrefTimer(handle: TimerHandle): void {
  const timer = handle as { unref?: () => void } | null;
  if (timer && typeof timer.unref === 'function') timer.unref();
}
