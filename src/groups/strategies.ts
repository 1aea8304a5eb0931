/**
 * The order in which a group call tries its members: one function per strategy.
 */
import type { ResolvedGroupConfig } from '../config/group.js';
import type { Clock } from '../model/clock.js';
import type { ClientEntry } from '../supervision/registry.js';
import type { GroupStats } from './stats.js';

/** What ordering may read: the group, its members' entries and stats, the runtime clock. */
export interface OrderingInput {
  group: ResolvedGroupConfig;
  /** The members' names in their configured order. */
  clients: readonly string[];
  entry: (client: string) => ClientEntry;
  stats: GroupStats;
  /** Its `random` draws the weighted order, so tests can pin it. */
  clock: Pick<Clock, 'random'>;
}

/** The members of a group, in the order this call (a stream or not) tries them. */
export function orderMembers(input: OrderingInput, stream: boolean): readonly string[] {
  const { group } = input;
  switch (group.strategy) {
    case 'fallback':
      return input.clients;
    case 'weighted':
      return weighted(group.members, () => input.clock.random());
    case 'least-busy':
      return sortBy(group, (client) => {
        const actor = input.entry(client).supervision.actor;
        if (actor === null) return Infinity;
        const { inFlight, queued } = actor.live();
        return inFlight + queued;
      });
    case 'fastest':
      // A member not measured yet sorts first: it gets measured.
      return sortBy(
        group,
        (client) => input.stats.recentLatency(client, stream ? 'firstToken' : 'request') ?? 0,
      );
    default:
      throw new Error(`unknown group strategy ${String(group.strategy satisfies never)}`);
  }
}

/** Members by ascending `score`, ties in their configured order. */
function sortBy(group: ResolvedGroupConfig, score: (client: string) => number): string[] {
  return group.members
    .map((m, i) => ({ client: m.client, score: score(m.client), i }))
    .sort((a, b) => a.score - b.score || a.i - b.i)
    .map((m) => m.client);
}

/**
 * A weighted random order: each place drawn among the members left, in proportion to their
 * weights (so the first member is picked by weight, and the failover order too). Members of
 * weight 0 come last, in their configured order.
 */
function weighted(members: ResolvedGroupConfig['members'], random: () => number): string[] {
  const left = members.filter((m) => m.weight > 0);
  const order: string[] = [];
  while (left.length > 0) {
    let total = 0;
    for (const m of left) total += m.weight;
    let point = random() * total;
    let at = left.length - 1;
    for (let i = 0; i < left.length; i++) {
      point -= left[i]!.weight;
      if (point < 0) {
        at = i;
        break;
      }
    }
    order.push(left.splice(at, 1)[0]!.client);
  }
  for (const m of members) if (m.weight === 0) order.push(m.client);
  return order;
}
