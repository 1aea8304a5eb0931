/**
 * The route of a group call: which members were tried, in order, and how each ended. It rides on
 * the Completion a group returns and on the error it throws.
 */
import type { ErrorCode } from './errors.js';

/** One member tried by a group call. */
export interface RouteAttempt {
  /** The member client. */
  client: string;
  /**
   * How it failed; absent for the member that answered. A member skipped without a request
   * (fuse open, failed, restarting) has its code and `ms: 0`; a hedge's loser has `ABORTED`.
   */
  code?: ErrorCode;
  /** Time spent on it, ms (on the runtime's clock). */
  ms: number;
}

/** What a group call tried. */
export interface Route {
  /** The group's name. */
  group: string;
  attempts: RouteAttempt[];
}
