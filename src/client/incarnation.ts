/**
 * What one incarnation owns: its fuse (and the fleet's news of it), its provider (and so its
 * connection pool) and its cache; the attempt path composed over them once; and the cache
 * writes still under way when it closes.
 */
import type { Logger } from 'pino';
import { ClientCache } from '../cache/client-cache.js';
import type { CacheCounters } from '../cache/counters.js';
import type { ResolvedClientConfig } from '../config/types.js';
import { BudgetLink } from '../fleet/budget-link.js';
import { FuseLink } from '../fleet/fuse-link.js';
import { quotesSecret, type CachedCompletion } from '../model/answer.js';
import type { Clock } from '../model/clock.js';
import { LlmActorsError } from '../model/errors.js';
import { cacheNotCleared, fuseOpen } from '../model/failures.js';
import type { ClientHealth } from '../observe/health.js';
import type { Budget } from '../observe/budget.js';
import type { ClientObserver } from '../observe/observer.js';
import { tracing } from '../observe/tracing.js';
import { attemptLimits } from '../policy/attempt-watch.js';
import { Fuse, type FuseListener } from '../policy/fuse.js';
import { Park } from '../policy/park.js';
import { LocalBudget } from '../policy/rate-budget.js';
import { honouringPark, retryPolicy } from '../policy/retry.js';
import { rateKey, SharedBudget } from '../fleet/rate-link.js';
import { createProvider } from '../providers/index.js';
import type { Provider } from '../providers/provider.js';
import {
  compose,
  fleetLock,
  fuseGate,
  providerCall,
  retrying,
  type Dispatch,
  type Fault,
  type Stage,
} from './attempts.js';
import { attemptSpans } from './attempt-spans.js';
import { budgetGate } from './budget-gate.js';
import type { Flight } from './flight.js';
import { RateGate } from './rate-gate.js';

/** What an incarnation is built from; the parts that outlive it belong to its registry entry. */
export interface IncarnationDeps {
  config: ResolvedClientConfig;
  clock: Clock;
  logger: Logger;
  observer: ClientObserver;
  cacheCounters: CacheCounters;
  secrets: readonly string[];
  onFuseChange: FuseListener;
}

/** The resources of one incarnation. */
export class Incarnation {
  readonly fuse: Fuse;
  /** Parked by a provider's 429 that named a time. */
  readonly park: Park;
  /** What holds flights back before the slots: the park and the `rateLimit` budget. */
  readonly gate: RateGate;
  private readonly rateBudget: LocalBudget | SharedBudget | undefined;
  /** Where the incarnation's own faults go (set by the actor that owns it). */
  onFault: Fault = () => undefined;
  /** Called when the last pending cache write has landed. */
  onWritten: () => void = () => undefined;
  /** Cache writes under way (a persistent store's, off the reply path). */
  pendingWrites = 0;
  private readonly fuseLink: FuseLink | undefined;
  private readonly budgetLink: BudgetLink | undefined;
  /** Sends this incarnation's spending to the fleet (set on the budget while it runs). */
  private readonly forward: Budget['forward'];
  private closing: Promise<void> | null = null;

  private constructor(
    readonly deps: IncarnationDeps,
    readonly cache: ClientCache | null,
    private readonly provider: Provider,
  ) {
    const { config, clock } = deps;
    this.park = new Park(clock);
    const rate = config.rateLimit;
    this.rateBudget =
      rate === undefined
        ? undefined
        : rate.shared === undefined
          ? new LocalBudget(rate, clock)
          : new SharedBudget(
              rateKey(config.name, config.baseUrl, config.model),
              { ...rate, shared: rate.shared },
              clock,
              deps.logger,
            );
    const counts = rate?.tokensPerMinute !== undefined;
    this.gate = new RateGate(config.name, this.park, this.rateBudget, counts, clock);
    const shared = deps.config.fuse.shared;
    this.fuseLink = shared
      ? new FuseLink(
          deps.config.name,
          shared.url,
          () => this.fuse,
          deps.logger,
          () => deps.clock.now(),
        )
      : undefined;
    const budget = deps.observer.budget;
    const fleetBudget = budget?.config.shared;
    if (budget !== undefined && fleetBudget !== undefined) {
      const link = new BudgetLink(deps.config.name, fleetBudget.url, deps.logger);
      this.budgetLink = link;
      this.forward = (day, spent) => link.add(day, spent);
      budget.forward = this.forward;
    }
    this.fuse = new Fuse(
      deps.config.fuse,
      deps.clock,
      (snapshot, previous, remote) => {
        if (!remote) this.fuseLink?.announce(snapshot, previous);
        deps.onFuseChange(snapshot, previous, remote);
      },
      (e) => this.onFault(e),
    );
  }

  /** Opens the provider and the cache. */
  static async open(deps: IncarnationDeps): Promise<Incarnation> {
    const provider = createProvider(deps.config, deps.secrets, () => deps.clock.now());
    let cache: ClientCache | null = null;
    if (deps.config.cache) {
      try {
        cache = await ClientCache.open(
          deps.config.name,
          deps.config.cache,
          deps.logger,
          deps.cacheCounters,
          deps.clock,
        );
      } catch (error) {
        await provider.destroy();
        throw new LlmActorsError(
          'INVALID_CONFIG',
          `clients.${deps.config.name}.cache: cannot open the ${deps.config.cache.store} cache: ${(error as Error).message}`,
          { client: deps.config.name, retryable: false, cause: error },
        );
      }
    }
    return new Incarnation(deps, cache, provider);
  }

  /** The attempt path: fleet lock ∘ retry ∘ fuse gate ∘ provider call, for this config. */
  attemptPath(onFault: Fault): Dispatch {
    const { config, clock, secrets, observer } = this.deps;
    const stages: Stage[] = [];
    if (observer.budget !== undefined) {
      stages.push(budgetGate(observer.budget, this.budgetLink, onFault));
    }
    const turns = this.cache?.singleFlight;
    if (turns !== undefined) stages.push(fleetLock(turns, onFault));
    // Without retries too: it is where each failed attempt is reported (retry: false stops).
    const park = this.park;
    const policy = honouringPark(
      retryPolicy(config.retry, () => clock.random()),
      () => park.pausedUntil(),
      () => clock.now(),
    );
    stages.push(
      retrying(policy, clock, onFault, (flight, error, delay) => {
        // Each attempt is one more request to the provider's rate limit.
        if (delay !== undefined) this.rateBudget?.adjust(1, 0);
        observer.attemptFailed(flight, error, delay);
      }),
    );
    if (tracing() !== undefined) stages.push(attemptSpans(this.fuse));
    stages.push(fuseGate(config.name, this.fuse, clock));
    return compose(
      stages,
      providerCall({
        client: config.name,
        provider: this.provider,
        secrets,
        onFault,
        onPaid: (flight, usage) => {
          const costUsd = observer.paidUnanswered(flight, usage);
          flight.sink?.paid?.(usage, costUsd);
        },
        clock,
        limits: attemptLimits(config),
        park: this.park,
        onSkipped: observer.skippedEvent,
      }),
    );
  }

  /** FUSE_OPEN when the fuse would not let a request through now (takes no probe). */
  fuseRefusal(): LlmActorsError | undefined {
    const ticket = this.fuse.peek();
    if (ticket.ok) return undefined;
    return fuseOpen(this.deps.config.name, ticket.retryAt, this.deps.clock.now());
  }

  /** Whether the Redis connections this client shares with its fleet are up, when it has any. */
  fleet(): ClientHealth['fleet'] {
    const links = {
      cache: this.cache?.redisUp,
      fuse: this.fuseLink?.up,
      budget: this.budgetLink?.up,
      rate: this.rateBudget instanceof SharedBudget ? this.rateBudget.up : undefined,
    };
    let fleet: Record<string, 'up' | 'down'> | undefined;
    for (const [name, up] of Object.entries(links)) {
      if (up !== undefined) (fleet ??= {})[name] = up ? 'up' : 'down';
    }
    return fleet;
  }

  /**
   * Caches an answer; a fleet lock on its key is given back once the answer is in Redis. An
   * answer that quotes one of the client's secrets is not cached (nor is its lock kept).
   */
  store(key: string, value: CachedCompletion, lock: string | undefined): void {
    const cache = this.cache;
    if (cache === null) return;
    if (quotesSecret(value, this.deps.secrets)) {
      this.deps.logger.warn('the answer quotes a configured secret: not cached');
      if (lock !== undefined) void cache.singleFlight?.release(key, lock);
      return;
    }
    if (cache.store(key, value)) return;
    this.pendingWrites++;
    cache
      .set(key, value)
      .then(() => (lock === undefined ? undefined : cache.singleFlight?.release(key, lock)))
      .catch((error: unknown) => this.onFault(error))
      .finally(() => {
        this.pendingWrites--;
        if (this.pendingWrites === 0) this.onWritten();
      });
  }

  /**
   * Drops every cached answer. A store that cannot be cleared is reported to the caller with a
   * typed error, and is not a fault of the actor: requests in flight go on.
   *
   * @throws {@link LlmActorsError} NETWORK_ERROR when the store could not be cleared.
   */
  async clearCache(): Promise<void> {
    const outcome = await this.cache?.clear();
    if (outcome?.cleared === false) throw cacheNotCleared(this.deps.config.name, outcome.error);
  }

  /** Gives back the fleet lock a flight holds, if any (other processes wait on it). */
  releaseLock(flight: Flight): void {
    if (flight.lock !== undefined) void this.cache?.singleFlight?.release(flight.key!, flight.lock);
  }

  /** Closes pool and cache once `drained` settles; a crash destroys the pool. Idempotent. */
  close(destroy: boolean, drained: Promise<void>): Promise<void> {
    this.closing ??= drained
      .then(() =>
        Promise.allSettled([
          destroy ? this.provider.destroy() : this.provider.close(),
          this.cache?.close(),
          this.fuseLink?.close(),
          this.closeBudgetLink(),
          this.rateBudget instanceof SharedBudget ? this.rateBudget.close() : undefined,
        ]),
      )
      .then(() => undefined);
    return this.closing;
  }

  /** Stops sending this incarnation's spending to the fleet and closes its link. */
  private closeBudgetLink(): Promise<void> | undefined {
    const budget = this.deps.observer.budget;
    // A restart's new incarnation may have set its own already: only ours is taken away.
    if (budget !== undefined && budget.forward === this.forward) budget.forward = undefined;
    return this.budgetLink?.close();
  }
}
