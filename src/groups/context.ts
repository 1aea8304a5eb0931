/**
 * What a group call works with: its group, its counters, the clock, the members' entries, and
 * the one way to send a member a request.
 */
import type { Logger } from 'pino';
import type { StreamSink } from '../client/flight.js';
import type { ResolvedGroupConfig } from '../config/group.js';
import type { Clock } from '../model/clock.js';
import { Cancellation } from '../policy/cancellation.js';
import type { ChatMessage, Completion, RequestOptions } from '../model/request.js';
import type { ClientEntry } from '../supervision/registry.js';
import type { GroupStats } from './stats.js';
import { noop } from '../model/noop.js';

/**
 * Sends one member a request with one attempt and no retries (the group fails over instead), by
 * the absolute `deadline` the group gives it, cancelled through `cancel` (a light one: an
 * AbortController per member call cost a group call as much as the rest of its work). The
 * caller's options go as they are: a copy per member cost more than the rest of the call.
 */
export type MemberCall = (
  client: string,
  messages: ChatMessage[],
  options: RequestOptions | undefined,
  sink: StreamSink | undefined,
  cancel: Cancellation | undefined,
  deadline: number,
) => Promise<Completion>;

/** Everything one group call needs. */
export interface GroupContext {
  readonly group: ResolvedGroupConfig;
  /** The members' names in their configured order (the `fallback` order, made once). */
  readonly clients: readonly string[];
  readonly stats: GroupStats;
  readonly clock: Clock;
  /** A member's registry entry (members cannot be unregistered while in a group). */
  readonly entry: (client: string) => ClientEntry;
  readonly call: MemberCall;
}

/** The log of a member, where a group says what it did about it (its own child logger). */
export function logOf(ctx: GroupContext, client: string): Logger {
  return ctx.entry(client).spec.logger;
}

/** A cancellation that also aborts when `parent` does; `release` unhooks it. */
export function childCancellation(parent: Cancellation): {
  cancel: Cancellation;
  release: () => void;
} {
  const cancel = new Cancellation();
  const abort = (reason: unknown) => cancel.abort(reason);
  parent.onAbort(abort);
  return { cancel, release: () => parent.off(abort) };
}

/** Calls `abort` when `signal` aborts (at once if it has); the function returned unhooks it. */
export function onAbort(signal: AbortSignal, abort: () => void): () => void {
  if (signal.aborted) {
    abort();
    return noop;
  }
  signal.addEventListener('abort', abort, { once: true });
  return () => signal.removeEventListener('abort', abort);
}

/** Takes `item` out of `list`, if it is there. */
export function removeFrom<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}
