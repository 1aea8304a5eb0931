/**
 * The client actor: one incarnation of a named client. It owns its fuse, its cache, its
 * provider (and so its connection pool) and runs the pipeline
 *
 *   cache lookup -> single-flight -> concurrency slot (or queue) -> fuse ask -> retry(provider
 *   call) -> cache store -> reply
 *
 * with many requests in flight at once. Callers wait as "waiters" on a "flight" (one upstream
 * call sequence); identical cacheable requests share a flight. Each waiter has its own deadline
 * and signal; a flight is aborted only when its last waiter has left.
 *
 * Provider failures are typed errors that feed the fuse. Anything else that escapes the
 * pipeline is a fault of the actor itself: it is reported to the supervisor as a crash.
 */
import { performance } from 'node:perf_hooks';
import { nanoid } from 'nanoid';
import type { Logger } from 'pino';
import { ClientCache, type CacheCounters } from '../cache/client-cache.js';
import type { CachedCompletion } from '../model/answer.js';
import { cacheKey } from '../cache/key.js';
import type { Clock } from '../model/clock.js';
import type { ResolvedClientConfig } from '../config/types.js';
import { LlmActorsError, isLlmActorsError } from '../model/errors.js';
import { aborted, fuseOpen, restarted, timedOut } from '../model/failures.js';
import { createProvider } from '../providers/index.js';
import type { Provider, ProviderAnswer, ProviderCall } from '../providers/provider.js';
import type { ChatMessage, Completion, EffectiveParams, RequestOptions } from '../model/request.js';
import { classify, fuseOutcome } from '../policy/classify.js';
import { Fuse, type FuseListener, type FuseSnapshot } from '../policy/fuse.js';
import { FuseLink } from '../fleet/fuse-link.js';
import { Cancellation } from '../policy/cancellation.js';
import type { Flight, Outcome, StreamSink, Waiter } from './flight.js';
import { retryDelay } from '../policy/retry.js';
import type { HistoryEntry, HistoryRing } from '../observe/history.js';
import type { ClientStats } from '../observe/stats.js';

export type { StreamSink } from './flight.js';

/** What an actor is built from; the parts that outlive it belong to its registry entry. */
export interface ActorDeps {
  config: ResolvedClientConfig;
  clock: Clock;
  logger: Logger;
  stats: ClientStats;
  cacheCounters: CacheCounters;
  history: HistoryRing;
  secrets: readonly string[];
  /** Called once when the actor faults; the supervisor takes it from there. */
  onCrash: (actor: ClientActor, error: unknown) => void;
  onFuseChange: FuseListener;
}

/** One incarnation of a client. */
export class ClientActor {
  /** The incarnation id (new on every restart). */
  readonly id = nanoid();
  /** When this incarnation started, epoch ms. */
  readonly startedAt: number;
  private readonly config: ResolvedClientConfig;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly deps: ActorDeps;
  private readonly fuse: Fuse;
  private readonly fuseLink: FuseLink | undefined;
  private readonly provider: Provider;
  private readonly cache: ClientCache | null;
  private readonly shared = new Map<string, Flight>();
  private readonly flights = new Set<Flight>();
  private readonly waiting: Flight[] = [];
  private running = 0;
  private queued = 0;
  private pendingWrites = 0;
  private idle: Array<() => void> = [];
  private dead = false;
  private closing: Promise<void> | null = null;

  private constructor(deps: ActorDeps, cache: ClientCache | null, provider: Provider) {
    this.deps = deps;
    this.config = deps.config;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.cache = cache;
    this.provider = provider;
    this.startedAt = deps.clock.now();
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
    this.fuse = new Fuse(
      deps.config.fuse,
      deps.clock,
      (snapshot, previous, remote) => {
        if (!remote) this.fuseLink?.announce(snapshot, previous);
        deps.onFuseChange(snapshot, previous, remote);
      },
      (e) => this.fault(e),
    );
  }

  /** Opens the actor's resources and starts it. */
  static async start(deps: ActorDeps): Promise<ClientActor> {
    const provider = createProvider(deps.config, deps.secrets, () => deps.clock.now());
    let cache: ClientCache | null = null;
    if (deps.config.cache) {
      try {
        cache = await ClientCache.open(
          deps.config.name,
          deps.config.cache,
          deps.logger,
          deps.cacheCounters,
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
    return new ClientActor(deps, cache, provider);
  }

  /** Upstream calls under way. */
  get inFlight(): number {
    return this.running;
  }

  /** Upstream calls waiting for a concurrency slot. */
  get queueLength(): number {
    return this.queued;
  }

  /** The fuse part of health. */
  fuseSnapshot(): FuseSnapshot {
    return this.fuse.snapshot();
  }

  /** Whether the Redis connections this client shares with its fleet are up, when it has any. */
  fleet(): { cache?: 'up' | 'down'; fuse?: 'up' | 'down' } | undefined {
    const cache = this.cache?.redisUp;
    const fuse = this.fuseLink?.up;
    if (cache === undefined && fuse === undefined) return undefined;
    return {
      ...(cache === undefined ? {} : { cache: cache ? 'up' : 'down' }),
      ...(fuse === undefined ? {} : { fuse: fuse ? 'up' : 'down' }),
    };
  }

  /**
   * Runs one request through the pipeline. The caller has validated its input. An untyped
   * error here is a fault of the actor: the request gets CLIENT_RESTARTED and the supervisor
   * is told.
   */
  request(
    messages: ChatMessage[],
    options: RequestOptions | undefined,
    sink?: StreamSink,
  ): Promise<Completion> {
    this.deps.stats.requests.total++;
    const waiter: Waiter = {
      id: nanoid(),
      startedAt: this.clock.now(),
      t0: performance.now(),
      messages,
      params: this.effectiveParams(options),
      rolloutId: options?.rolloutId,
      resolve: noop,
      reject: noop,
      timer: undefined,
      signal: options?.signal,
      onAbort: undefined,
      flight: undefined,
      settled: false,
    };
    // Not async: every turn saved here is saved on every request. The waiter's promise only
    // ever rejects with typed errors; an untyped throw on the way is turned into a crash.
    try {
      return this.pipeline(waiter, options, sink);
    } catch (error) {
      return Promise.reject(this.crashed(waiter, error));
    }
  }

  /** An untyped error inside the pipeline: the request gets CLIENT_RESTARTED, the actor crashes. */
  private crashed(waiter: Waiter, error: unknown): LlmActorsError {
    if (isLlmActorsError(error)) return error;
    const crashed = restarted(this.config.name, error);
    this.fail(waiter, crashed, false);
    this.fault(error);
    return crashed;
  }

  private pipeline(
    waiter: Waiter,
    options: RequestOptions | undefined,
    sink: StreamSink | undefined,
  ): Promise<Completion> {
    if (this.logger.isLevelEnabled('debug')) {
      this.logger.debug({ req: waiter.id, messages: waiter.messages.length }, 'request');
    }
    if (waiter.signal?.aborted)
      return Promise.reject(this.fail(waiter, aborted(this.config.name), true));
    const promise = new Promise<Completion>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    // The caller awaits `promise`; this branch only keeps a rejection that happens while the
    // pipeline itself throws (a crash) from being reported as unhandled.
    promise.catch(noop);
    const timeoutMs = options?.timeoutMs ?? this.config.timeoutMs;
    const deadline = waiter.startedAt + timeoutMs;
    const cached = this.cache !== null && options?.cache !== false;
    const key = cached
      ? cacheKey({
          provider: this.config.provider,
          baseUrl: this.config.baseUrl,
          model: this.config.model,
          messages: waiter.messages,
          params: waiter.params,
          rolloutId: waiter.rolloutId,
        })
      : undefined;
    const found = key === undefined ? undefined : this.cache!.lookup(key);
    if (found !== undefined && !(found instanceof Promise) && sink === undefined) {
      // A memory-cache hit is answered now: no deadline timer or abort listener to set up
      // only to tear it down again.
      this.proceed(waiter, key, found, sink, deadline);
      return promise;
    }
    waiter.timer = this.clock.setTimeout(
      () => this.leave(waiter, timedOut(this.config.name, timeoutMs)),
      timeoutMs,
    );
    if (waiter.signal) {
      waiter.onAbort = () => this.leave(waiter, aborted(this.config.name));
      waiter.signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    sink?.onCancel(() => this.leave(waiter, aborted(this.config.name)));
    if (found instanceof Promise) {
      found
        .then((hit) => this.proceed(waiter, key, hit, sink, deadline))
        .catch((error: unknown) => this.crashed(waiter, error));
    } else {
      this.proceed(waiter, key, found, sink, deadline);
    }
    return promise;
  }

  /** After the cache lookup: answer a hit, or join or launch a flight. */
  private proceed(
    waiter: Waiter,
    key: string | undefined,
    hit: CachedCompletion | undefined,
    sink: StreamSink | undefined,
    deadline: number,
  ): void {
    if (waiter.settled) return;
    if (hit !== undefined) {
      if (this.logger.isLevelEnabled('debug')) this.logger.debug({ req: waiter.id }, 'cache hit');
      if (sink && hit.text !== '') sink.delta(hit.text);
      this.resolve(waiter, hit, true, undefined);
      return;
    }
    if (this.dead) {
      this.fail(waiter, restarted(this.config.name), false);
      return;
    }
    const joined = key === undefined || sink ? undefined : this.shared.get(key);
    if (joined !== undefined) {
      joined.waiters.add(waiter);
      waiter.flight = joined;
      if (deadline > joined.deadline) joined.deadline = deadline;
    } else {
      this.launch(key, waiter, deadline, sink);
    }
  }

  /** Drops every cached answer of this client. */
  async clearCache(): Promise<void> {
    try {
      await this.cache?.clear();
    } catch (error) {
      // A store that cannot clear is a fault of the actor's own resource.
      this.fault(error);
      throw restarted(this.config.name, error);
    }
  }

  /**
   * The actor crashed (or was killed): every waiter rejects with CLIENT_RESTARTED, upstream
   * calls are aborted and resources released. Idempotent.
   */
  crash(reason: unknown): void {
    if (this.dead) return;
    this.abort(restarted(this.config.name, reason));
    void this.closeResources(true);
  }

  /**
   * Ends every request now with `error` and aborts their upstream calls; the actor takes no
   * more work. Resources stay open until {@link close}.
   */
  abort(error: LlmActorsError): void {
    this.dead = true;
    for (const flight of this.flights) {
      flight.state = 'done';
      // Other processes wait on this lock: give it back now rather than at its expiry.
      if (flight.lock !== undefined) void this.cache?.release(flight.key!, flight.lock);
      flight.cancel.abort(error);
      for (const waiter of flight.waiters) this.fail(waiter, error, false);
      flight.waiters.clear();
    }
    this.flights.clear();
    this.shared.clear();
    this.waiting.length = 0;
    this.queued = 0;
    this.running = 0;
    this.fuse.stop();
    this.notifyIdle();
  }

  /** Waits until nothing is in flight, queued or being written to the cache. */
  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Drains, then closes the pool and the cache. Idempotent. */
  async close(): Promise<void> {
    await this.drain();
    this.dead = true;
    this.fuse.stop();
    await this.closeResources(false);
  }

  /** Closes pool and cache once pending cache writes are done; a crash destroys the pool. */
  private closeResources(destroy: boolean): Promise<void> {
    this.closing ??= this.drain()
      .then(() =>
        Promise.allSettled([
          destroy ? this.provider.destroy() : this.provider.close(),
          this.cache?.close(),
          this.fuseLink?.close(),
        ]),
      )
      .then(() => undefined);
    return this.closing;
  }

  private effectiveParams(options: RequestOptions | undefined): EffectiveParams {
    const defaults = this.config.defaults;
    const params: EffectiveParams = {};
    const temperature = options?.temperature ?? defaults.temperature;
    const maxTokens = options?.maxTokens ?? defaults.maxTokens;
    if (temperature !== undefined) params.temperature = temperature;
    if (maxTokens !== undefined) params.maxTokens = maxTokens;
    const stop = options?.stop ?? defaults.stop;
    const seed = options?.seed ?? defaults.seed;
    if (stop !== undefined && stop.length > 0) params.stop = stop;
    if (seed !== undefined) params.seed = seed;
    if (defaults.extra !== undefined || options?.extra !== undefined) {
      params.extra = { ...defaults.extra, ...options?.extra };
    }
    return params;
  }

  private launch(
    key: string | undefined,
    waiter: Waiter,
    deadline: number,
    sink: StreamSink | undefined,
  ): void {
    const flight: Flight = {
      id: waiter.id,
      key,
      messages: waiter.messages,
      params: waiter.params,
      cancel: new Cancellation(),
      waiters: new Set([waiter]),
      deadline,
      attempts: 0,
      state: 'queued',
      sink,
      delivered: false,
    };
    waiter.flight = flight;
    const ticket = this.fuse.peek();
    if (!ticket.ok) {
      this.finish(flight, { error: fuseOpen(this.config.name, ticket.retryAt, this.clock.now()) });
      return;
    }
    if (this.running < this.config.maxConcurrency) {
      this.track(flight);
      this.running++;
      this.run(flight);
    } else if (this.queued >= this.config.maxQueue) {
      this.finish(flight, {
        error: new LlmActorsError(
          'QUEUE_FULL',
          `${this.config.name}: ${this.queued} requests already wait for a slot (maxQueue)`,
          { client: this.config.name },
        ),
      });
    } else {
      this.track(flight);
      this.waiting.push(flight);
      this.queued++;
    }
  }

  private track(flight: Flight): void {
    this.flights.add(flight);
    if (flight.key !== undefined && flight.sink === undefined) this.shared.set(flight.key, flight);
  }

  private run(flight: Flight): void {
    flight.state = 'running';
    this.attempt(flight)
      .then((outcome) => {
        if (this.dead) return;
        this.running--;
        this.finish(flight, outcome);
        this.next();
      })
      .catch((error: unknown) => this.fault(error));
  }

  private next(): void {
    while (this.waiting.length > 0 && this.running < this.config.maxConcurrency) {
      const flight = this.waiting.shift()!;
      if (flight.state !== 'queued') continue;
      this.queued--;
      this.running++;
      this.run(flight);
    }
    this.notifyIdle();
  }

  /** The retry loop: every attempt asks the fuse and reports to it. */
  private async attempt(flight: Flight): Promise<Outcome> {
    const retry = this.config.retry;
    const maxAttempts = retry ? retry.maxAttempts : 1;
    const cancel = flight.cancel;
    if (flight.key !== undefined && flight.sink === undefined && this.cache?.sharedFlights) {
      // Redis lock times are wall-clock times; the flight's deadline is on the runtime's clock.
      const deadline = Date.now() + (flight.deadline - this.clock.now());
      const turn = await this.cache.turn(flight.key, deadline, () => cancel.aborted);
      if (this.dead) return { error: restarted(this.config.name) };
      if ('hit' in turn) return { value: turn.hit, raw: undefined, fromPeer: true };
      flight.lock = turn.token;
    }
    let last: LlmActorsError | undefined;
    for (;;) {
      if (cancel.aborted) return { error: classify(cancel.reason, cancel, this.config.name, []) };
      const ticket = this.fuse.ask();
      if (!ticket.ok)
        return { error: fuseOpen(this.config.name, ticket.retryAt, this.clock.now(), last) };
      flight.attempts++;
      try {
        const call = { messages: flight.messages, params: flight.params, cancel };
        const answer = flight.sink
          ? await this.streamed(flight, call)
          : await this.provider.call(call);
        if (this.dead) return { error: restarted(this.config.name) };
        this.fuse.report('success', ticket.probe);
        return { value: answer.completion, raw: answer.raw };
      } catch (thrown) {
        if (this.dead) return { error: restarted(this.config.name) };
        const error = classify(thrown, cancel, this.config.name, this.deps.secrets);
        this.fuse.report(fuseOutcome(error), ticket.probe);
        last = error;
        if (
          !retry ||
          !error.retryable ||
          flight.attempts >= maxAttempts ||
          cancel.aborted ||
          flight.delivered
        ) {
          return { error };
        }
        const delay = retryDelay(retry, flight.attempts, error.retryAfterMs, () =>
          this.clock.random(),
        );
        if (delay >= flight.deadline - this.clock.now()) return { error };
        if (this.logger.isLevelEnabled('debug')) {
          this.logger.debug(
            { req: flight.id, code: error.code, attempt: flight.attempts, delay },
            'retrying',
          );
        }
        await this.sleep(delay, cancel);
      }
    }
  }

  /** One streamed attempt: deltas go to the flight's sink as they arrive. */
  private streamed(flight: Flight, call: ProviderCall): Promise<ProviderAnswer> {
    const sink = flight.sink!;
    call.onDelta = (text, resume) => {
      flight.delivered = true;
      if (sink.delta(text)) return true;
      sink.onDrain(resume);
      return false;
    };
    return this.provider.call(call);
  }

  private sleep(ms: number, cancel: Cancellation): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        stop();
        resolve();
      }, ms);
      const stop = cancel.onAbort(() => {
        this.clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Settles every waiter of a finished flight and stores a fresh answer. */
  private finish(flight: Flight, outcome: Outcome): void {
    flight.state = 'done';
    if (flight.key !== undefined && this.shared.get(flight.key) === flight) {
      this.shared.delete(flight.key);
    }
    if ('error' in outcome) {
      if (flight.lock !== undefined) void this.cache!.release(flight.key!, flight.lock);
      for (const waiter of flight.waiters) this.fail(waiter, outcome.error, flight.attempts === 0);
    } else if (outcome.fromPeer) {
      for (const waiter of flight.waiters) this.resolve(waiter, outcome.value, true, undefined);
    } else {
      if (flight.key !== undefined && this.cache !== null) {
        this.store(flight.key, outcome.value, flight.lock);
      }
      let first = true;
      for (const waiter of flight.waiters) {
        this.resolve(waiter, outcome.value, false, first ? outcome.raw : undefined, first);
        first = false;
      }
    }
    flight.waiters.clear();
    // Only now: should settling throw, a crash still finds this flight and its waiters.
    this.flights.delete(flight);
    this.notifyIdle();
  }

  /** Caches an answer; a fleet lock on its key is given back once the answer is in Redis. */
  private store(key: string, value: CachedCompletion, lock: string | undefined): void {
    const cache = this.cache!;
    if (cache.store(key, value)) return;
    this.pendingWrites++;
    cache
      .set(key, value)
      .then(() => (lock === undefined ? undefined : cache.release(key, lock)))
      .catch((error: unknown) => this.fault(error))
      .finally(() => {
        this.pendingWrites--;
        this.notifyIdle();
      });
  }

  /** A waiter's deadline passed or its signal aborted: it leaves its flight now. */
  private leave(waiter: Waiter, error: LlmActorsError): void {
    if (waiter.settled) return;
    const flight = waiter.flight;
    this.fail(waiter, error, flight === undefined || flight.attempts === 0);
    if (flight === undefined) return;
    flight.waiters.delete(waiter);
    if (flight.waiters.size > 0 || flight.state === 'done') return;
    if (flight.key !== undefined && this.shared.get(flight.key) === flight) {
      this.shared.delete(flight.key);
    }
    if (flight.state === 'queued') {
      flight.state = 'done';
      this.flights.delete(flight);
      this.queued--;
      this.notifyIdle();
    } else {
      flight.cancel.abort(error);
    }
  }

  private resolve(
    waiter: Waiter,
    value: CachedCompletion,
    cacheHit: boolean,
    raw: unknown,
    paid = false,
  ): Completion {
    const latencyMs = performance.now() - waiter.t0;
    // A fresh object (usage and choices copied too): `value` may be the cache's own entry.
    const completion: Completion = {
      text: value.text,
      finishReason: value.finishReason,
      usage: { ...value.usage },
      model: value.model,
      client: this.config.name,
      cacheHit,
      latencyMs,
    };
    if (value.choices !== undefined) completion.choices = value.choices.map((c) => ({ ...c }));
    this.settle(waiter);
    waiter.resolve(raw === undefined ? completion : { ...completion, raw });
    this.deps.stats.succeeded(latencyMs, paid ? value.usage : undefined);
    this.remember(waiter, { completion });
    return completion;
  }

  /** Settles a waiter with `error` (once) and returns the error. */
  private fail(waiter: Waiter, error: LlmActorsError, beforeAnyAttempt: boolean): LlmActorsError {
    if (!waiter.settled) {
      this.settle(waiter);
      waiter.reject(error);
      const rejected =
        error.code === 'QUEUE_FULL' || (error.code === 'FUSE_OPEN' && beforeAnyAttempt);
      this.deps.stats.failed(error.code, error.message, this.clock.now(), rejected);
      this.remember(waiter, { error: { code: error.code, message: error.message } });
      if (this.logger.isLevelEnabled('debug')) {
        this.logger.debug({ req: waiter.id, code: error.code }, 'request failed');
      }
    }
    return error;
  }

  /** Adds a settled request to the client's history. */
  private remember(waiter: Waiter, outcome: Pick<HistoryEntry, 'completion' | 'error'>): void {
    this.deps.history.push({
      id: waiter.id,
      client: this.config.name,
      at: waiter.startedAt,
      messages: waiter.messages,
      params: waiter.params,
      ...(waiter.rolloutId === undefined ? {} : { rolloutId: waiter.rolloutId }),
      ...outcome,
    });
  }

  private settle(waiter: Waiter): void {
    waiter.settled = true;
    if (waiter.timer !== undefined) this.clock.clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }

  private fault(error: unknown): void {
    if (!this.dead) this.deps.onCrash(this, error);
  }

  private isIdle(): boolean {
    return this.flights.size === 0 && this.pendingWrites === 0;
  }

  private notifyIdle(): void {
    if (this.idle.length === 0 || !this.isIdle()) return;
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }
}

function noop(): void {}
