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
  // One listener is the common case (the attempt under way): it takes a field, not a Set.
  private first: Listener | undefined;
  private more: Set<Listener> | undefined;
  private controller: AbortController | undefined;

  /** Aborts (once): listeners run, and the signal, if one was made, aborts too. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const first = this.first;
    const more = this.more;
    this.first = undefined;
    this.more = undefined;
    first?.(reason);
    if (more) for (const listener of more) listener(reason);
    this.controller?.abort(reason);
  }

  /**
   * Runs `listener` on abort (at once if already aborted). Returns true when it was added;
   * {@link off} takes it back.
   */
  onAbort(listener: Listener): boolean {
    if (this.aborted) {
      listener(this.reason);
      return false;
    }
    if (this.first === undefined) this.first = listener;
    else (this.more ??= new Set()).add(listener);
    return true;
  }

  /** Takes back a listener given to {@link onAbort}. */
  off(listener: Listener): void {
    if (this.first === listener) this.first = undefined;
    else this.more?.delete(listener);
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

/** Called with the reason of an abort. */
export type Listener = (reason: unknown) => void;
