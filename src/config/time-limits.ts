/**
 * A client's time limits on each attempt, besides the request's deadline: how long the provider
 * may take to start answering, and how long it may fall silent once it has.
 */
import { ms } from './fields.js';

/** The time limits of one client's attempts (both off unless set). */
export interface ClientTimeLimits {
  /**
   * No response headers within this many ms of an attempt's start — for a stream, no first delta
   * (text, reasoning or a tool call) — ends the attempt with TIMEOUT: a failure for the fuse,
   * retried like any TIMEOUT while the request's deadline allows. For a driver client it bounds
   * the whole call of `request`/`output`. Default: off.
   */
  firstTokenTimeoutMs?: number;
  /**
   * A body or a stream silent for this many ms once its headers came ends the attempt with
   * NETWORK_ERROR: retried while nothing reached the caller; a stream that had delivered a
   * delta fails with it. Time the caller spends not reading a stream does not count. Default:
   * off.
   */
  idleTimeoutMs?: number;
}

/** The zod fields of {@link ClientTimeLimits}, spread into the client schema. */
export const timeLimitFields = {
  firstTokenTimeoutMs: ms().optional(),
  idleTimeoutMs: ms().optional(),
};
