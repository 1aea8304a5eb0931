/**
 * Repeated log lines, rate-limited: a fault met by every operation (a store down, a disk full)
 * would otherwise write one line per operation — tens of thousands a second. The first line of
 * a kind is written at once; the repeats within the next window are counted and written as one
 * summary line at its end, which opens another window while they go on.
 */
import type { Logger } from 'pino';
import { systemClock, unrefTimer, type Clock, type TimerHandle } from './clock.js';

/** How long repeats of one line are counted before their summary is written, ms. */
export const LOG_REPEAT_WINDOW_MS = 10_000;

type Level = 'info' | 'warn' | 'error';

interface Window {
  readonly level: Level;
  readonly msg: string;
  readonly timer: TimerHandle;
  /** Repeats counted in this window. */
  suppressed: number;
  /** The fields of the latest repeat, written with the summary. */
  last: object;
}

/** Writes lines through `logger`, at most one per message per window (see the module comment). */
export class RepeatLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly logger: Logger,
    private readonly windowMs = LOG_REPEAT_WINDOW_MS,
    private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'> = systemClock,
  ) {}

  /**
   * Writes `msg` at `level`, or counts it when the same message was written within the window.
   *
   * @example
   * const limited = new RepeatLimiter(logger);
   * for (const op of ops) limited.write('warn', { op }, 'cache store fault'); // one line, then a count
   */
  write(level: Level, fields: object, msg: string): void {
    const open = this.windows.get(msg);
    if (open !== undefined) {
      open.suppressed++;
      open.last = fields;
      return;
    }
    this.logger[level](fields, msg);
    this.open(level, msg);
  }

  /** Writes the summaries still pending and stops every timer (on close). */
  flush(): void {
    for (const window of [...this.windows.values()]) {
      this.clock.clearTimeout(window.timer);
      this.windows.delete(window.msg);
      this.summarize(window);
    }
  }

  private open(level: Level, msg: string): void {
    const timer = this.clock.setTimeout(() => {
      this.windows.delete(msg);
      // A summary opens the next window: while the repeats go on, one line per window.
      if (this.summarize(window)) this.open(level, msg);
    }, this.windowMs);
    // A pending summary is not a reason to keep the process up.
    unrefTimer(timer);
    const window: Window = { level, msg, timer, suppressed: 0, last: {} };
    this.windows.set(msg, window);
  }

  private summarize(window: Window): boolean {
    if (window.suppressed === 0) return false;
    const seconds = Math.round(this.windowMs / 1000);
    this.logger[window.level](
      { ...window.last, suppressed: window.suppressed },
      `${window.msg} (${window.suppressed} more like it within ${seconds} s)`,
    );
    return true;
  }
}
