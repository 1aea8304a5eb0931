/**
 * The signal a gateway request hands the runtime, aborted when the caller goes away before its
 * answer is written: nobody is left to read it, so the upstream call is cancelled.
 *
 * Not an AbortController: one per request, with the EventTarget listener the runtime adds and
 * removes on it, cost ~5 µs of a miss path whose whole budget over a bare proxy is tens of µs.
 * The runtime reads `aborted` and adds and removes its 'abort' listeners (src/client/waiter.ts)
 * and accepts any object with those members as a signal; this object is that subset.
 */
import type { ServerResponse } from 'node:http';

type Listener = () => void;

class CallerSignal {
  aborted = false;
  private listeners: Listener[] | undefined;

  addEventListener(type: string, listener: Listener): void {
    if (type !== 'abort') return;
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    if (type !== 'abort' || this.listeners === undefined) return;
    const i = this.listeners.indexOf(listener);
    if (i !== -1) this.listeners.splice(i, 1);
  }

  /** Aborts once: each listener runs once, as `{ once: true }` listeners do. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }
}

/**
 * A signal that aborts when `res` closes before its answer was fully written (the caller
 * disconnected), typed as the AbortSignal the runtime's options take.
 */
export function callerSignal(res: ServerResponse): AbortSignal {
  const signal = new CallerSignal();
  res.once('close', () => {
    if (!res.writableFinished) signal.abort();
  });
  // The runtime reads only what CallerSignal implements (see above).
  return signal as unknown as AbortSignal;
}
