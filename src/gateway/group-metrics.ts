/**
 * The groups' Prometheus metrics, read from `runtime.health()` at scrape time as the clients'
 * are: each group's calls, failovers, hedges, resumed streams and cost, and which of its members
 * can take a request now. Nothing is added to the request path.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GroupHealth } from '../groups/health.js';
import type { Runtime } from '../runtime.js';

/** A per-group counter and what it reads. */
const PER_GROUP: ReadonlyArray<{
  name: string;
  help: string;
  /** Undefined: not reported for this group (cost, when no member has a price table). */
  value(h: GroupHealth): number | undefined;
}> = [
  {
    name: 'llm_actors_group_requests_total',
    help: 'Calls made to the group (each counts once, however many members it tried).',
    value: (h) => h.requests.total,
  },
  {
    name: 'llm_actors_group_requests_succeeded_total',
    help: 'Calls the group answered.',
    value: (h) => h.requests.succeeded,
  },
  {
    name: 'llm_actors_group_requests_failed_total',
    help: 'Calls the group failed (no member could answer).',
    value: (h) => h.requests.failed,
  },
  {
    name: 'llm_actors_group_failovers_total',
    help: 'Times a call moved on from a failed member to the next.',
    value: (h) => h.failovers,
  },
  {
    name: 'llm_actors_group_hedges_total',
    help: 'Times a slow member got a hedge started beside it.',
    value: (h) => h.hedges,
  },
  {
    name: 'llm_actors_group_resumed_streams_total',
    help: 'Streams cut mid-answer and completed by another member.',
    value: (h) => h.resumedStreams,
  },
  {
    name: 'llm_actors_group_cost_usd_total',
    help: 'USD the group calls paid, over their members (members with a price table).',
    value: (h) => h.cost?.usd,
  },
];

/** Registers the group metrics of `runtime` in `registry`. */
export function registerGroupMetrics(registry: Registry, runtime: Runtime): void {
  const groups = () => runtime.groups().map((name) => runtime.health<GroupHealth>(name));
  for (const { name, help, value } of PER_GROUP) {
    new Counter({
      name,
      help,
      labelNames: ['group'],
      registers: [registry],
      collect() {
        this.reset();
        for (const h of groups()) {
          const n = value(h);
          if (n !== undefined) this.inc({ group: h.name }, n);
        }
      },
    });
  }
  new Gauge({
    name: 'llm_actors_group_member_ready',
    help: 'Whether a member of the group can take a request now (1) or is skipped (0).',
    labelNames: ['group', 'client'],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of groups()) {
        for (const m of h.members) this.set({ group: h.name, client: m.client }, m.ready ? 1 : 0);
      }
    },
  });
}
