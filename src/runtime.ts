/**
 * The Runtime: wires the registry, the supervisor and the clients, and is the public edge
 * where names are resolved, input is checked and each request's deadline is made.
 */
import type { Logger } from 'pino';
import type { StreamSink } from './client/flight.js';
import type { Cancellation } from './policy/cancellation.js';
import { refuseUncarried } from './providers/capabilities.js';
import type { HistoryEntry } from './observe/history.js';
import { systemClock, type Clock } from './model/clock.js';
import { checkClientName, resolveClientConfig } from './config/resolve.js';
import type { CacheConfig, ClientConfig, ResolvedRuntimeConfig } from './config/types.js';
import { LlmActorsError, isLlmActorsError } from './model/errors.js';
import { invalidConfig, invalidRequest, restarted, runtimeStopped } from './model/failures.js';
import { EventHub, type RuntimeEventListener, type RuntimeEventType } from './observe/events.js';
import type { ClientHealth } from './observe/health.js';
import type { SeriesPoints } from './observe/series.js';
import type { GroupSeriesPoints } from './groups/series.js';
import { rootLogger } from './observe/logger.js';
import { awaitActor, unavailable } from './supervision/availability.js';
import { Registry, newEntry, type ClientEntry } from './supervision/registry.js';
import {
  validateMessages,
  validateOptions,
  type ChatMessage,
  type Completion,
  type RequestOptions,
} from './model/request.js';
import { StreamChannel, type CompletionStream } from './client/stream.js';
import { Supervisor } from './supervision/supervisor.js';
import * as groups from './groups/dispatcher.js';

/** A running set of named, supervised LLM clients. Made by {@link createRuntime}. */
export class Runtime {
  private readonly registry = new Registry();
  private readonly supervisor: Supervisor;
  private readonly events: EventHub;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly defaultCache: CacheConfig | false;
  private readonly groupSet: groups.GroupDispatcher;
  private stopping: Promise<void> | null = null;

  /** @internal Use {@link createRuntime}. */
  constructor(config: ResolvedRuntimeConfig) {
    this.clock = config.clock ?? systemClock;
    this.logger = rootLogger(config.logger);
    this.events = new EventHub(this.logger);
    this.defaultCache = config.cache;
    this.supervisor = new Supervisor(config.supervisor, this.clock, this.events);
    this.groupSet = new groups.GroupDispatcher(this.clock, this.registry, this.dispatch.bind(this));
  }

  /**
   * Sends `messages` to the client named `client` through its pipeline: cache, fuse, retry,
   * provider.
   *
   * @example
   * ```ts
   * const res = await runtime.request('gpt', [{ role: 'user', content: 'Hi' }], { temperature: 0 });
   * res.text; res.cacheHit; res.usage.totalTokens;
   * ```
   * @throws {@link LlmActorsError} UNKNOWN_CLIENT, INVALID_REQUEST, FUSE_OPEN, QUEUE_FULL, TIMEOUT,
   * ABORTED, PROVIDER_ERROR, NETWORK_ERROR, BAD_RESPONSE, CLIENT_RESTARTED, CLIENT_FAILED,
   * RUNTIME_STOPPED.
   */
  request(client: string, messages: ChatMessage[], options?: RequestOptions): Promise<Completion> {
    // Not async: an async wrapper around dispatch's promise would cost turns on every request.
    return this.dispatch(client, messages, options, undefined);
  }

  /**
   * Streams the answer of the client named `client`: the same pipeline as {@link request}
   * (cache, fuse, retry before the first delta, deadline and signal throughout), with the text
   * delivered as it arrives. A cached answer replays as a stream with `cacheHit: true`; a
   * completed stream is cached; a failed or cancelled one is not.
   *
   * @example
   * ```ts
   * const s = runtime.stream('gpt', [{ role: 'user', content: 'Hi' }]);
   * for await (const chunk of s) process.stdout.write(chunk.text);
   * (await s.completion).usage;
   * ```
   * @throws {@link LlmActorsError} through the iterator and `completion`: the codes of
   * {@link request}.
   */
  stream(client: string, messages: ChatMessage[], options?: RequestOptions): CompletionStream {
    return new StreamChannel((sink) => this.dispatch(client, messages, options, sink));
  }

  /**
   * The request path (`once`, `cancel` and `memberDeadline`: a group member's call). Not async
   * up to a running actor (a turn saved is saved on every request).
   */
  private dispatch(
    client: string,
    messages: ChatMessage[],
    options: RequestOptions | undefined,
    sink: StreamSink | undefined,
    once = false,
    cancel?: Cancellation,
    memberDeadline?: number,
  ): Promise<Completion> {
    try {
      if (this.stopping) throw runtimeStopped();
      if (this.groupSet.has(client)) return this.groupSet.dispatch(client, messages, options, sink);
      const entry = this.registry.get(client);
      try {
        // A group member's call was checked by its group already.
        if (!once) {
          validateMessages(messages, client);
          validateOptions(options, client);
        }
        refuseUncarried(entry.spec.config, messages, options);
      } catch (error) {
        this.refuse(entry, error as LlmActorsError);
      }
      // The one deadline of this request, from here on carried as it is.
      const deadline =
        memberDeadline ?? this.clock.now() + (options?.timeoutMs ?? entry.spec.config.timeoutMs);
      const actor = entry.supervision.actor;
      if (actor !== null) return actor.request(messages, options, deadline, sink, once, cancel);
      // Not running: the request waits for a restart under way, within its deadline.
      return awaitActor(entry, this.clock, options, deadline, () => this.stopping !== null).then(
        (ready) => ready.request(messages, options, deadline, sink, once, cancel),
        (error: LlmActorsError) => this.refuse(entry, error),
      );
    } catch (error) {
      return Promise.reject(isLlmActorsError(error) ? error : this.crashOf(client, error));
    }
  }

  /** An untyped error here is a fault of an actor's own code or resources: it crashes it. */
  private crashOf(client: string, error: unknown): LlmActorsError {
    const entry = this.registry.find(client);
    const actor = entry?.supervision.actor;
    if (actor) this.supervisor.crash(entry!, actor, error);
    return restarted(client, error);
  }

  /**
   * The health of a client or group (`runtime.health<GroupHealth>('chat')`), or all by name.
   *
   * @example
   * ```ts
   * const { fuse, cache } = runtime.health('gpt');
   * ```
   * @throws {@link LlmActorsError} UNKNOWN_CLIENT.
   */
  health(): Record<string, groups.Health>;
  health<H extends groups.Health = ClientHealth>(name: string): H;
  health(name?: string): groups.Health | Record<string, groups.Health> {
    return name === undefined ? this.groupSet.healthOfAll() : this.groupSet.healthOf(name);
  }

  /** A client's or group's (`series<GroupSeriesPoints>`) last minutes. @throws UNKNOWN_CLIENT */
  series<S extends SeriesPoints | GroupSeriesPoints = SeriesPoints>(name: string): S;
  series(name: string): SeriesPoints | GroupSeriesPoints {
    return this.groupSet.seriesOf(name) ?? this.registry.get(name).observed.stats.series();
  }

  /** The names of the registered clients. */
  clients(): string[] {
    return this.registry.names();
  }

  /** The names of the registered groups. */
  groups(): string[] {
    return this.groupSet.names();
  }

  /**
   * Registers and starts a client, or adds a group (a config with `members`).
   *
   * @throws {@link LlmActorsError} INVALID_CONFIG (bad config or a name in use), RUNTIME_STOPPED.
   */
  async register(name: string, config: ClientConfig | groups.GroupConfig): Promise<void> {
    if (this.stopping) throw runtimeStopped();
    checkClientName(name);
    if (groups.isGroupConfig(config)) return this.groupSet.register(name, config);
    if (this.registry.has(name) || this.groupSet.has(name)) {
      throw invalidConfig(`clients.${name}: a client with this name is already registered`, name);
    }
    const resolved = resolveClientConfig(name, config, this.defaultCache);
    const entry = newEntry(
      resolved,
      this.logger.child({ client: name, provider: resolved.provider }),
      this.clock,
    );
    this.registry.add(entry);
    try {
      await this.supervisor.start(entry);
    } catch (error) {
      this.registry.delete(name);
      throw error;
    }
    this.events.emit({ type: 'client:registered', client: name, at: this.clock.now() });
  }

  /**
   * Removes a client or a group: new requests get UNKNOWN_CLIENT; those in flight finish first.
   *
   * @throws {@link LlmActorsError} UNKNOWN_CLIENT; INVALID_CONFIG for a member of a group.
   */
  async unregister(name: string): Promise<void> {
    if (this.groupSet.release(name)) return;
    const entry = this.registry.get(name);
    this.registry.delete(name);
    await this.supervisor.stop(entry);
    this.events.emit({ type: 'client:unregistered', client: name, at: this.clock.now() });
  }

  /**
   * Rebuilds a client's actor now (like supervisor:restart_child): what it had in flight
   * rejects with CLIENT_RESTARTED; a `failed` client comes back.
   *
   * @throws {@link LlmActorsError} UNKNOWN_CLIENT, RUNTIME_STOPPED, CLIENT_FAILED (the rebuild
   * failed; the client stays `failed`).
   */
  async restart(name: string): Promise<void> {
    if (this.stopping) throw runtimeStopped();
    await this.supervisor.restart(this.registry.get(name));
  }

  /**
   * Crashes a client's actor on purpose (tests, chaos drills); the supervisor takes over.
   *
   * @throws {@link LlmActorsError} UNKNOWN_CLIENT.
   */
  kill(name: string): void {
    this.supervisor.kill(this.registry.get(name));
  }

  /**
   * Drops the cached answers of a client (DriverLM: clear between comparisons).
   *
   * @throws {@link LlmActorsError} UNKNOWN_CLIENT, CLIENT_FAILED, RUNTIME_STOPPED; NETWORK_ERROR
   * when the store could not be cleared (not a crash: the client goes on).
   */
  async clearCache(name: string): Promise<void> {
    if (this.stopping) throw runtimeStopped();
    const entry = this.registry.get(name);
    if (entry.supervision.starting) await entry.supervision.starting;
    if (entry.supervision.actor === null) throw unavailable(entry, this.stopping !== null);
    await entry.supervision.actor.clearCache();
  }

  /**
   * The last `n` exchanges of a client (all it keeps when `n` is omitted), oldest first.
   *
   * @throws {@link LlmActorsError} UNKNOWN_CLIENT.
   */
  history(name: string, n?: number): HistoryEntry[] {
    return this.registry.get(name).observed.history.last(n);
  }

  /**
   * Subscribes to runtime events (`'*'` for all); returns the function that unsubscribes.
   *
   * @example
   * ```ts
   * runtime.on('fuse:open', (e) => alert(`${e.client} is down until ${e.fuse.retryAt}`));
   * ```
   */
  on<T extends RuntimeEventType | '*'>(type: T, listener: RuntimeEventListener<T>): () => void {
    return this.events.on(type, listener);
  }

  /**
   * Stops the runtime: new requests get RUNTIME_STOPPED, work in flight drains (each request
   * is bounded by its own deadline), then pools and caches close. With `timeoutMs`, whatever
   * is still pending after it rejects with RUNTIME_STOPPED (0: at once). Idempotent.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => runtime.stop({ timeoutMs: 10_000 }));
   * ```
   */
  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    const { timeoutMs } = options;
    if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs >= 0)) {
      return Promise.reject(invalidRequest('stop: timeoutMs must be a non-negative integer'));
    }
    if (this.stopping) {
      if (timeoutMs !== undefined) this.supervisor.hurry(timeoutMs);
      return this.stopping;
    }
    this.stopping = Promise.all(
      [...this.registry.all()].map((entry) => this.supervisor.stop(entry, timeoutMs)),
    ).then(() => undefined);
    return this.stopping;
  }

  private refuse(entry: ClientEntry, error: LlmActorsError): never {
    const observer = entry.observed.observer;
    observer.started(undefined);
    observer.failed(undefined, error, this.clock.now(), true);
    throw error;
  }
}
