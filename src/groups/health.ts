/**
 * A group's health snapshot: plain JSON, like a client's, told apart by `kind: 'group'`.
 */
import type { GroupStrategy, ResolvedGroupConfig } from '../config/group.js';
import { roundUsd } from '../observe/budget.js';
import type { ClientStatus } from '../observe/health.js';
import type { LastError, LatencyPercentiles } from '../observe/stats.js';
import type { FuseState } from '../policy/fuse.js';
import type { ClientEntry } from '../supervision/registry.js';
import { memberReady } from './ready.js';
import type { GroupStats } from './stats.js';

/** One member as its group's health shows it. */
export interface GroupMemberHealth {
  client: string;
  weight: number;
  status: ClientStatus;
  fuse: FuseState;
  /** Whether the group would send it a request now. */
  ready: boolean;
  inFlight: number;
  queued: number;
}

/** A group's health. */
export interface GroupHealth {
  kind: 'group';
  name: string;
  strategy: GroupStrategy;
  members: GroupMemberHealth[];
  onContextOverflow: string[];
  /** Group calls: each counts once, however many members it tried. */
  requests: { total: number; succeeded: number; failed: number };
  /** Times a call moved on from a failed member to the next. */
  failovers: number;
  /** Times a slow member got a hedge started beside it. */
  hedges: number;
  /** Streams cut mid-answer and completed by another member. */
  resumedStreams: number;
  /** Whole group calls, failovers included. */
  latencyMs: LatencyPercentiles;
  lastError: LastError | null;
  /**
   * USD its calls paid, summed over members (answers and billed failed streams): present when
   * a member (or an `onContextOverflow` client) has a price table.
   */
  cost?: { usd: number };
}

/** The health of a group now. */
export function groupHealth(
  group: ResolvedGroupConfig,
  stats: GroupStats,
  entry: (client: string) => ClientEntry,
  now: number,
): GroupHealth {
  const health: GroupHealth = {
    kind: 'group',
    name: group.name,
    strategy: group.strategy,
    members: group.members.map(({ client, weight }) => {
      const e = entry(client);
      const live = e.supervision.actor?.live();
      return {
        client,
        weight,
        status: e.supervision.status,
        fuse: live?.fuse.state ?? 'closed',
        ready: memberReady(e, now),
        inFlight: live?.inFlight ?? 0,
        queued: live?.queued ?? 0,
      };
    }),
    onContextOverflow: [...group.onContextOverflow],
    requests: { ...stats.requests },
    failovers: stats.failovers,
    hedges: stats.hedges,
    resumedStreams: stats.resumedStreams,
    latencyMs: stats.latency.percentiles(),
    lastError: stats.lastError ? { ...stats.lastError } : null,
  };
  const clients = [...group.members.map((m) => m.client), ...group.onContextOverflow];
  if (clients.some((c) => entry(c).spec.config.pricing !== undefined)) {
    health.cost = { usd: roundUsd(stats.costUsd) };
  }
  return health;
}
