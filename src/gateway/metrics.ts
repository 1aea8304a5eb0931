/**
 * The gateway's Prometheus metrics. Requests and their latency are observed as the gateway
 * answers them; everything the runtime already counts (cache, fuse, restarts, in flight,
 * tokens) is read from `runtime.health()` at scrape time, so there is one source of truth and
 * nothing on the request path but one map update and one histogram update.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isClientHealth, type ClientHealth } from '../observe/health.js';
import type { Runtime } from '../runtime.js';
import { registerGroupMetrics } from './group-metrics.js';

/** The registry and the request-path instruments. */
export interface GatewayMetrics {
  registry: Registry;
  /** The instruments of a registered client, its label objects made here once. */
  client(name: string): ClientMetrics;
  /**
   * The instruments every name that is not a registered client shares, labelled `(unknown)`,
   * so that callers cannot grow the label set.
   */
  unknown: ClientMetrics;
}

/** The request-path instruments of one client. */
export interface ClientMetrics {
  /** Counts one answered request; `outcome` is `ok` or the error code. */
  observe(outcome: string, cacheHit: boolean, seconds: number): void;
}

/**
 * A per-client metric read from `runtime.health()` at scrape time. Counters take the runtime's
 * own running totals: most belong to the client entry and survive restarts; the fuse's melts
 * start again with a new incarnation, which Prometheus reads as a counter reset, as it should.
 */
interface PerClient {
  kind: 'counter' | 'gauge';
  name: string;
  help: string;
  value(h: ClientHealth): number;
}

const PER_CLIENT: readonly PerClient[] = [
  {
    kind: 'counter',
    name: 'llm_actors_requests_total',
    help: 'Requests made to the client (any caller).',
    value: (h) => h.requests.total,
  },
  {
    kind: 'counter',
    name: 'llm_actors_requests_succeeded_total',
    help: 'Requests the client answered.',
    value: (h) => h.requests.succeeded,
  },
  {
    kind: 'counter',
    name: 'llm_actors_requests_failed_total',
    help: 'Requests that failed after reaching the client.',
    value: (h) => h.requests.failed,
  },
  {
    kind: 'counter',
    name: 'llm_actors_requests_rejected_total',
    help: 'Requests refused before the pipeline (invalid, fuse open, queue full).',
    value: (h) => h.requests.rejected,
  },
  {
    kind: 'counter',
    name: 'llm_actors_cache_hits_total',
    help: 'Answers served from the client cache.',
    value: (h) => h.cache.hits,
  },
  {
    kind: 'counter',
    name: 'llm_actors_cache_misses_total',
    help: 'Cache lookups that missed.',
    value: (h) => h.cache.misses,
  },
  {
    kind: 'counter',
    name: 'llm_actors_fuse_melts_total',
    help: 'Times the fuse opened.',
    value: (h) => h.fuse.melts,
  },
  {
    kind: 'counter',
    name: 'llm_actors_restarts_total',
    help: 'Times the supervisor restarted the client.',
    value: (h) => h.restarts,
  },
  {
    kind: 'counter',
    name: 'llm_actors_prompt_tokens_total',
    help: 'Prompt tokens paid for upstream.',
    value: (h) => h.usage.promptTokens,
  },
  {
    kind: 'counter',
    name: 'llm_actors_completion_tokens_total',
    help: 'Completion tokens paid for upstream.',
    value: (h) => h.usage.completionTokens,
  },
  {
    kind: 'counter',
    name: 'llm_actors_cost_usd_total',
    help: 'USD paid upstream, for clients with a price table (0 without one).',
    value: (h) => h.cost?.usd ?? 0,
  },
  {
    kind: 'gauge',
    name: 'llm_actors_in_flight',
    help: 'Upstream calls under way.',
    value: (h) => h.requests.inFlight,
  },
  {
    kind: 'gauge',
    name: 'llm_actors_queued',
    help: 'Upstream calls waiting for a concurrency slot.',
    value: (h) => h.requests.queued,
  },
  {
    kind: 'gauge',
    name: 'llm_actors_latency_p50_seconds',
    help: 'Median request latency seen by the client.',
    value: (h) => h.latencyMs.p50 / 1000,
  },
  {
    kind: 'gauge',
    name: 'llm_actors_latency_p99_seconds',
    help: '99th percentile request latency seen by the client.',
    value: (h) => h.latencyMs.p99 / 1000,
  },
];

/** A gauge per client and value of `label`: 1 for the client's current value, 0 for the others. */
interface OneHot {
  name: string;
  what: string;
  label: string;
  values: readonly string[];
  current(h: ClientHealth): string;
}

const ONE_HOT: readonly OneHot[] = [
  {
    name: 'llm_actors_fuse_state',
    what: 'The fuse state',
    label: 'state',
    values: ['closed', 'half_open', 'open'],
    current: (h) => h.fuse.state,
  },
  {
    name: 'llm_actors_client_status',
    what: 'The client status',
    label: 'status',
    values: ['running', 'restarting', 'failed', 'stopped'],
    current: (h) => h.status,
  },
];

/** The label of every name that is not a registered client. */
const UNKNOWN = '(unknown)';

/** The metrics of a gateway in front of `runtime`. */
export function createMetrics(runtime: Runtime): GatewayMetrics {
  const registry = new Registry();
  const clients = () => Object.values(runtime.health()).filter(isClientHealth);
  for (const { kind, name, help, value } of PER_CLIENT) {
    const options = { name, help, labelNames: ['client'], registers: [registry] };
    if (kind === 'counter') {
      new Counter({
        ...options,
        collect() {
          this.reset();
          for (const h of clients()) this.inc({ client: h.name }, value(h));
        },
      });
    } else {
      new Gauge({
        ...options,
        collect() {
          this.reset();
          for (const h of clients()) this.set({ client: h.name }, value(h));
        },
      });
    }
  }
  for (const { name, what, label, values, current } of ONE_HOT) {
    new Gauge({
      name,
      help: `${what}: 1 for the current ${label} of each client, 0 for the others.`,
      labelNames: ['client', label],
      registers: [registry],
      collect() {
        this.reset();
        for (const h of clients()) {
          const now = current(h);
          for (const v of values) this.set({ client: h.name, [label]: v }, now === v ? 1 : 0);
        }
      },
    });
  }
  registerGroupMetrics(registry, runtime);
  const client = requestInstruments(registry);
  return { registry, client, unknown: client(UNKNOWN) };
}

/**
 * The two instruments observed per answered request, and the per-client handles onto them.
 * The request counter is kept by the handles in plain maps and handed to prom-client at scrape
 * time, as the per-client metrics are: prom-client would hash its labels on every request. The
 * histogram is prom-client's own, observed with label objects each handle made once.
 */
function requestInstruments(registry: Registry): (client: string) => ClientMetrics {
  /** Every handle made: a client registered anew gets another, whose counts add to the first's. */
  const handles: Array<{ client: string; outcomes: Map<string, number> }> = [];
  new Counter({
    name: 'llm_actors_gateway_requests_total',
    help: 'Chat requests answered by the gateway, by client and outcome (ok or the error code).',
    labelNames: ['client', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { client, outcomes } of handles) {
        for (const [outcome, n] of outcomes) this.inc({ client, outcome }, n);
      }
    },
  });
  const duration = new Histogram({
    name: 'llm_actors_gateway_request_duration_seconds',
    help: 'Time from the request to the whole answer, by client and cache (hit or miss).',
    labelNames: ['client', 'cache'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return (client) => {
    // Outcomes are `ok` and the error codes: a small fixed set.
    const outcomes = new Map<string, number>();
    handles.push({ client, outcomes });
    const hit = { client, cache: 'hit' };
    const miss = { client, cache: 'miss' };
    return {
      observe(outcome, cacheHit, seconds) {
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        duration.observe(cacheHit ? hit : miss, seconds);
      },
    };
  };
}
