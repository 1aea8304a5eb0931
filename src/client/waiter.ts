/**
 * A caller's deadline and signal, armed and disarmed in one place for every wait: a request in
 * its actor, and a request waiting for its client to restart. The deadline is absolute, on
 * the runtime's clock, made once at the public edge and carried everywhere.
 */
import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle } from '../model/clock.js';
import type { ResolvedClientConfig } from '../config/types.js';
import type { ChatMessage, RequestOptions } from '../model/request.js';
import { effectiveParams } from './params.js';
import type { Waiter } from './flight.js';
import { noop } from '../model/noop.js';

/** What a watched wait carries (a Waiter is one). */
export interface Watched {
  /** Absolute, on the runtime's clock. */
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  timer: TimerHandle | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Calls `leave(w, 'timeout')` at the deadline or `leave(w, 'aborted')` when the signal aborts
 * (at once if it already has). Stored on `w` rather than in closures over a new object, since
 * it runs on every request that is not a memory hit.
 */
export function arm<W extends Watched>(
  w: W,
  clock: Clock,
  leave: (w: W, why: 'timeout' | 'aborted') => void,
): void {
  w.timer = clock.setTimeout(() => leave(w, 'timeout'), Math.max(0, w.deadline - clock.now()));
  const signal = w.signal;
  if (signal === undefined) return;
  w.onAbort = () => leave(w, 'aborted');
  if (signal.aborted) w.onAbort();
  else signal.addEventListener('abort', w.onAbort, { once: true });
}

/** Undoes {@link arm}. */
export function disarm(w: Watched, clock: Clock): void {
  if (w.timer !== undefined) clock.clearTimeout(w.timer);
  if (w.onAbort !== undefined) w.signal?.removeEventListener('abort', w.onAbort);
}

/**
 * A new, unsettled waiter of a request to a client with `config` (its promise's functions are
 * set when it begins). The edge made the deadline from its own reading of the clock: the start
 * is derived from it, not read again.
 */
export function newWaiter(
  id: string,
  config: Pick<ResolvedClientConfig, 'defaults' | 'timeoutMs'>,
  messages: ChatMessage[],
  options: RequestOptions | undefined,
  deadline: number,
  once = false,
): Waiter {
  const timeoutMs = options?.timeoutMs ?? config.timeoutMs;
  return {
    id,
    startedAt: deadline - timeoutMs,
    t0: performance.now(),
    deadline,
    timeoutMs,
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
    span: undefined,
    once,
  };
}
