/**
 * A flight's cancellation: what an AbortController does, without creating one per request.
 * Creating an AbortSignal and handing it to undici costs a measurable share of a loopback
 * request, so the HTTP transport listens here directly; a real AbortSignal is made only for
 * those who need one (driver functions, streamed responses).
 */

/** Cancels one flight's upstream work. */
export class Cancellation {
  /** True once {@link abort} was called. */
  aborted = false;
  /** What {@link abort} was called with. */
  reason: unknown = undefined;
  private listeners: Set<(reason: unknown) => void> | undefined;
  private controller: AbortController | undefined;

  /** Aborts (once): listeners run, and the signal, if one was made, aborts too. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener(reason);
    this.controller?.abort(reason);
  }

  /** Runs `listener` on abort (at once if already aborted); returns the unsubscribe. */
  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.aborted) {
      listener(this.reason);
      return noop;
    }
    (this.listeners ??= new Set()).add(listener);
    return () => this.listeners?.delete(listener);
  }

  /** A real AbortSignal that follows this cancellation, made on first use. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }
}

function noop(): void {}
