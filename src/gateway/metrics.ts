/**
 * The gateway's Prometheus metrics. Requests and their latency are observed as the gateway
 * answers them; everything the runtime already counts (cache, fuse, restarts, in flight,
 * tokens) is read from `runtime.health()` at scrape time, so there is one source of truth and
 * nothing on the request path but one counter and one histogram update.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ClientHealth } from '../observe/health.js';
import type { Runtime } from '../runtime.js';

const FUSE_STATES = ['closed', 'half_open', 'open'] as const;
const STATUSES = ['running', 'restarting', 'failed', 'stopped'] as const;

/** The registry and the two request-path instruments. */
export interface GatewayMetrics {
  registry: Registry;
  /** Counts one answered request; `outcome` is `ok` or the error code. */
  observe(client: string, outcome: string, cacheHit: boolean, seconds: number): void;
}

/**
 * A per-client metric read from `runtime.health()` at scrape time. Counters take the runtime's
 * own running totals: most belong to the client entry and survive restarts; the fuse's melts
 * start again with a new incarnation, which Prometheus reads as a counter reset, as it should.
 */
function perClient(
  kind: 'counter' | 'gauge',
  registry: Registry,
  runtime: Runtime,
  name: string,
  help: string,
  value: (h: ClientHealth) => number,
): void {
  const options = { name, help, labelNames: ['client'], registers: [registry] };
  if (kind === 'counter') {
    new Counter({
      ...options,
      collect() {
        this.reset();
        for (const h of clients(runtime)) this.inc({ client: h.name }, value(h));
      },
    });
  } else {
    new Gauge({
      ...options,
      collect() {
        this.reset();
        for (const h of clients(runtime)) this.set({ client: h.name }, value(h));
      },
    });
  }
}

/** A gauge per client and value of `label`: 1 for the client's current value, 0 for the others. */
function oneHotGauge(
  registry: Registry,
  runtime: Runtime,
  name: string,
  what: string,
  label: string,
  values: readonly string[],
  current: (h: ClientHealth) => string,
): void {
  new Gauge({
    name,
    help: `${what}: 1 for the current ${label} of each client, 0 for the others.`,
    labelNames: ['client', label],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of clients(runtime)) {
        const now = current(h);
        for (const value of values)
          this.set({ client: h.name, [label]: value }, now === value ? 1 : 0);
      }
    },
  });
}

function clients(runtime: Runtime): ClientHealth[] {
  return Object.values(runtime.health());
}

/** The metrics of a gateway in front of `runtime`. */
export function createMetrics(runtime: Runtime): GatewayMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'llm_actors_gateway_requests_total',
    help: 'Chat requests answered by the gateway, by client and outcome (ok or the error code).',
    labelNames: ['client', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'llm_actors_gateway_request_duration_seconds',
    help: 'Time from the request to the whole answer, by client and cache (hit or miss).',
    labelNames: ['client', 'cache'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  perClient(
    'counter',
    registry,
    runtime,
    'llm_actors_requests_total',
    'Requests made to the client (any caller).',
    (h) => h.requests.total,
  );
  perClient(
    'counter',
    registry,
    runtime,
    'llm_actors_requests_succeeded_total',
    'Requests the client answered.',
    (h) => h.requests.succeeded,
  );
  perClient(
    'counter',
    registry,
    runtime,
    'llm_actors_requests_failed_total',
    'Requests that failed after reaching the client.',
    (h) => h.requests.failed,
  );
  perClient(
    'counter',
    registry,
    runtime,
    'llm_actors_requests_rejected_total',
    'Requests refused before the pipeline (invalid, fuse open, queue full).',
    (h) => h.requests.rejected,
  );
  perClient(
    'counter',
    registry,
    runtime,
    'llm_actors_cache_hits_total',
    'Answers served from the client cache.',
    (h) => h.cache.hits,
  );
  perClient(
    'counter',
    registry,
    runtime,
    'llm_actors_cache_misses_total',
    'Cache lookups that missed.',
    (h) => h.cache.misses,
  );
  perClient(
    'counter',
    registry,
    runtime,
    'llm_actors_fuse_melts_total',
    'Times the fuse opened.',
    (h) => h.fuse.melts,
  );
  perClient(
    'counter',
    registry,
    runtime,
    'llm_actors_restarts_total',
    'Times the supervisor restarted the client.',
    (h) => h.restarts,
  );
  perClient(
    'counter',
    registry,
    runtime,
    'llm_actors_prompt_tokens_total',
    'Prompt tokens paid for upstream.',
    (h) => h.usage.promptTokens,
  );
  perClient(
    'counter',
    registry,
    runtime,
    'llm_actors_completion_tokens_total',
    'Completion tokens paid for upstream.',
    (h) => h.usage.completionTokens,
  );
  perClient(
    'gauge',
    registry,
    runtime,
    'llm_actors_in_flight',
    'Upstream calls under way.',
    (h) => h.requests.inFlight,
  );
  perClient(
    'gauge',
    registry,
    runtime,
    'llm_actors_queued',
    'Upstream calls waiting for a concurrency slot.',
    (h) => h.requests.queued,
  );
  perClient(
    'gauge',
    registry,
    runtime,
    'llm_actors_latency_p50_seconds',
    'Median request latency seen by the client.',
    (h) => h.latencyMs.p50 / 1000,
  );
  perClient(
    'gauge',
    registry,
    runtime,
    'llm_actors_latency_p99_seconds',
    '99th percentile request latency seen by the client.',
    (h) => h.latencyMs.p99 / 1000,
  );
  oneHotGauge(
    registry,
    runtime,
    'llm_actors_fuse_state',
    'The fuse state',
    'state',
    FUSE_STATES,
    (h) => h.fuse.state,
  );
  oneHotGauge(
    registry,
    runtime,
    'llm_actors_client_status',
    'The client status',
    'status',
    STATUSES,
    (h) => h.status,
  );
  return {
    registry,
    observe(client, outcome, cacheHit, seconds) {
      requests.inc({ client, outcome });
      duration.observe({ client, cache: cacheHit ? 'hit' : 'miss' }, seconds);
    },
  };
}
