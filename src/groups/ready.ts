/**
 * Whether a member can answer now: a group never spends a request on one that cannot.
 */
import type { LlmActorsError } from '../model/errors.js';
import {
  clientFailed,
  fuseOpen,
  rateLimited,
  restarted,
  unknownClient,
} from '../model/failures.js';
import { parkedUntil } from '../policy/park.js';
import type { ClientEntry } from '../supervision/registry.js';

/**
 * True when `entry` can take a request now: its actor is running, not parked (by a provider's
 * 429 that named a time, or its own `rateLimit`), and its fuse lets a request through (closed,
 * or its probe free: open with `retryAt` passed, or half open with no probe under way).
 */
export function memberReady(entry: ClientEntry, now: number): boolean {
  const { status, actor } = entry.supervision;
  if (status !== 'running' || actor === null) return false;
  const parked = parkedUntil(actor);
  if (parked !== null && parked > now) return false;
  return actor.admitsNow();
}

/** The error a call to a member that is not ready would get (the route records it). */
export function unreadyError(entry: ClientEntry, now: number): LlmActorsError {
  const { status, actor, failure } = entry.supervision;
  switch (status) {
    case 'failed':
      return clientFailed(entry.name, failure);
    case 'restarting':
      return restarted(entry.name);
    case 'stopped':
      return unknownClient(`${entry.name}: the client was unregistered`, entry.name);
    case 'running': {
      const parked = parkedUntil(actor);
      if (parked !== null && parked > now) {
        return rateLimited(entry.name, parked - now, true, false);
      }
      return fuseOpen(entry.name, actor?.live().fuse.retryAt ?? null, now);
    }
    default:
      throw new Error(`unknown client status ${String(status satisfies never)}`);
  }
}

/**
 * Of two skipped members' errors, the one of the member that can answer sooner (the smaller
 * `retryAfterMs`; the earlier skip when neither says or they say the same): a call that no member
 * can answer fails with it, so a caller retrying on its Retry-After (or an SDK told it may retry
 * a parked member's RATE_LIMITED) comes back when the group can answer, not when its first
 * member can.
 */
export function soonerSkip(
  earlier: LlmActorsError | undefined,
  later: LlmActorsError,
): LlmActorsError {
  if (earlier === undefined) return later;
  return (later.retryAfterMs ?? Infinity) < (earlier.retryAfterMs ?? Infinity) ? later : earlier;
}

/**
 * While other members carry the traffic, a member whose fuse has been open for its base
 * `resetMs` gets its probe now rather than after the backoff's growing wait: a recovered
 * provider is back in use within `resetMs`, even after repeated melts.
 */
function hastenProbe(entry: ClientEntry): void {
  entry.supervision.actor?.capFuse(entry.spec.config.fuse.resetMs);
}

/**
 * The members of `clients` that can answer now, in order; `skipper.skip` gets each of the
 * others. While some member can answer, an open fuse of another gets its probe after its base
 * reset time ({@link hastenProbe}).
 */
export function readyMembers(
  clients: readonly string[],
  entryOf: (client: string) => ClientEntry,
  now: number,
  skipper: { skip(entry: ClientEntry, now: number): void },
): string[] {
  const names: string[] = [];
  for (const client of clients) if (memberReady(entryOf(client), now)) names.push(client);
  // Every member can answer (the common case): nothing to hasten or skip.
  if (names.length === clients.length) return names;
  const entries = clients.map(entryOf);
  let ready = entries.filter((e) => memberReady(e, now));
  if (ready.length > 0 && ready.length < entries.length) {
    for (const e of entries) if (!ready.includes(e)) hastenProbe(e);
    // A hastened probe may be due now: that member keeps its place in the order.
    ready = entries.filter((e) => memberReady(e, now));
  }
  for (const e of entries) if (!ready.includes(e)) skipper.skip(e, now);
  return ready.map((e) => e.name);
}
