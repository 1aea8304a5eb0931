/**
 * A client parked: by its provider — a 429 that named a time (Retry-After, `retry-after-ms`, a
 * rate-limit reset header) or a spent quota keeps every request of the client back until then,
 * without melting its fuse (the provider is well, it is only busy with us) — or by its own
 * `rateLimit`, while the requests waiting for its budget wait.
 */
import type { Clock } from '../model/clock.js';
import type { LlmActorsError } from '../model/errors.js';
import { parkMs } from './classify.js';

/** One client's park. Cheap to ask: a number compared with the clock. */
export class Park {
  /** Epoch ms on the runtime's clock; in the past when not parked. */
  private until = 0;
  /** Until when the rate budget keeps the waiting requests back; 0 when none wait for it. */
  private held = 0;

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  /**
   * Until when the client is parked (epoch ms), or null when it is not parked now. What a group
   * asks before it sends a member anything.
   *
   * @example
   * const until = park.parkedUntil();
   * if (until !== null) skipMember(until - Date.now());
   */
  parkedUntil(): number | null {
    // Not parked (the common case, again once a park has passed): no clock read.
    if (this.until === 0 && this.held === 0) return null;
    const paused = this.pausedUntil() ?? 0;
    const until = Math.max(paused, this.held);
    return until > this.clock.now() ? until : null;
  }

  /** Until when a provider's 429 parks the client (its rate budget aside), or null. */
  pausedUntil(): number | null {
    if (this.until === 0) return null;
    if (this.until > this.clock.now()) return this.until;
    // Passed: forgotten, so that later requests need no clock read to know it.
    this.until = 0;
    return null;
  }

  /** The rate budget keeps requests back until `at` (0: no request waits for it any more). */
  hold(at: number): void {
    this.held = at;
  }

  /** Parks the client for what `error` names (a 429 with a time, a quota 429); true if so. */
  observe(error: LlmActorsError): boolean {
    const ms = parkMs(error);
    if (ms === undefined || ms <= 0) return false;
    this.until = Math.max(this.until, this.clock.now() + ms);
    return true;
  }
}

/**
 * Until when a client is parked (epoch ms), or null when it is not parked now — or has no
 * running incarnation. Synchronous and cheap: what a group asks of each member before it sends
 * it a request.
 *
 * @example
 * const until = parkedUntil(entry.supervision.actor);
 * if (until !== null) tryNextMember();
 */
export function parkedUntil(holder: { readonly park: Park } | null | undefined): number | null {
  return holder?.park.parkedUntil() ?? null;
}
