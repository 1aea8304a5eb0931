/**
 * A client's health snapshot, read from its entry and its running incarnation.
 */
import { cacheStats } from '../cache/counters.js';
import { roundUsd } from '../observe/budget.js';
import type { ClientHealth } from '../observe/health.js';
import type { FuseSnapshot } from '../policy/fuse.js';
import type { ClientEntry } from './registry.js';

/** The fuse of a client with no incarnation running. */
const IDLE_FUSE: FuseSnapshot = { state: 'closed', failures: 0, melts: 0, retryAt: null };

/** The health of one client, as plain JSON. */
export function clientHealth(entry: ClientEntry): ClientHealth {
  const live = entry.supervision.actor?.live();
  const s = entry.observed.stats;
  const health: ClientHealth = {
    kind: 'client',
    name: entry.name,
    provider: entry.spec.config.provider,
    model: entry.spec.config.model,
    status: entry.supervision.status,
    fuse: live ? live.fuse : IDLE_FUSE,
    requests: {
      ...s.requests,
      inFlight: live ? live.inFlight : 0,
      queued: live ? live.queued : 0,
    },
    cache: cacheStats(entry.observed.cacheCounters),
    latencyMs: s.latency.percentiles(),
    usage: { ...s.usage },
    restarts: entry.supervision.restarts,
    lastError: s.lastError ? { ...s.lastError } : null,
    lastCause: s.lastCause ? { ...s.lastCause } : null,
    startedAt: entry.supervision.startedAt,
    parkedUntil: live ? live.parkedUntil : null,
    stream: { ...s.stream },
  };
  const fleet = live?.fleet;
  if (fleet !== undefined) health.fleet = fleet;
  if (entry.spec.config.pricing !== undefined) health.cost = { usd: roundUsd(s.costUsd) };
  const budget = entry.observed.observer.budget;
  if (budget !== undefined) health.budget = budget.health();
  return health;
}
