/**
 * What a group call works with: its group, its counters, the clock, the members' entries, and
 * the one way to send a member a request.
 */
import type { Logger } from 'pino';
import type { StreamSink } from '../client/flight.js';
import type { ResolvedGroupConfig } from '../config/group.js';
import type { Clock } from '../model/clock.js';
import type { ChatMessage, Completion, RequestOptions } from '../model/request.js';
import type { ClientEntry } from '../supervision/registry.js';
import type { GroupStats } from './stats.js';

/**
 * Sends one member a request with one attempt and no retries (the group fails over instead),
 * its deadline from `options.timeoutMs` and its cancellation through `options.signal`.
 */
export type MemberCall = (
  client: string,
  messages: ChatMessage[],
  options: RequestOptions,
  sink: StreamSink | undefined,
) => Promise<Completion>;

/** Everything one group call needs. */
export interface GroupContext {
  readonly group: ResolvedGroupConfig;
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

/** A sink's `onCancel` for an attempt cancelled through `signal` (at once if it already was). */
export function cancelOn(signal: AbortSignal): (cancel: () => void) => void {
  return (cancel) => {
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
  };
}

/** An AbortController that also aborts when `parent` does; `release` unhooks it. */
export function childController(parent: AbortSignal): {
  controller: AbortController;
  release: () => void;
} {
  const controller = new AbortController();
  return { controller, release: onAbort(parent, () => controller.abort(parent.reason)) };
}

/** Calls `abort` when `signal` aborts (at once if it has); the function returned unhooks it. */
export function onAbort(signal: AbortSignal | undefined, abort: () => void): () => void {
  if (signal === undefined) return () => undefined;
  if (signal.aborted) {
    abort();
    return () => undefined;
  }
  signal.addEventListener('abort', abort, { once: true });
  return () => signal.removeEventListener('abort', abort);
}
