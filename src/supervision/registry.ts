/**
 * The registry: client name -> its entry, which outlives every incarnation of the actor and
 * points at the current one.
 */
import type { Logger } from 'pino';
import type { ClientActor } from '../client/actor.js';
import { HistoryRing } from '../observe/history.js';
import { ClientObserver } from '../observe/observer.js';
import { ClientStats } from '../observe/stats.js';
import { newCacheCounters, type CacheCounters } from '../cache/counters.js';
import type { ResolvedClientConfig } from '../config/types.js';
import type { Clock } from '../model/clock.js';
import { unknownClient } from '../model/failures.js';
import type { ClientStatus } from '../observe/health.js';
import { secretsOf } from '../model/redact.js';

/** What a client is: fixed for its whole registration. */
export interface ClientSpec {
  readonly config: ResolvedClientConfig;
  readonly logger: Logger;
  readonly secrets: readonly string[];
}

/** The supervisor's bookkeeping of a client. */
export interface Supervision {
  status: ClientStatus;
  /** The running incarnation; null while restarting, failed or stopped. */
  actor: ClientActor | null;
  /** Settles when a restart under way has finished (either way). */
  starting: Promise<void> | null;
  restarts: number;
  /** Crash times inside the intensity window. */
  crashes: number[];
  /** Why the supervisor gave up, while failed. */
  failure: string | null;
  startedAt: number;
}

/** What is observed of a client; it survives restarts. */
export interface Observed {
  readonly stats: ClientStats;
  readonly cacheCounters: CacheCounters;
  readonly history: HistoryRing;
  /** The one observer of its request path, feeding the three above and the logs. */
  readonly observer: ClientObserver;
}

/** What the runtime keeps about a client across restarts. */
export interface ClientEntry {
  readonly name: string;
  readonly spec: ClientSpec;
  readonly supervision: Supervision;
  readonly observed: Observed;
}

/** Builds the entry of a newly registered client. */
export function newEntry(config: ResolvedClientConfig, logger: Logger, clock: Clock): ClientEntry {
  const stats = new ClientStats(() => clock.now());
  const history = new HistoryRing(config.historySize);
  return {
    name: config.name,
    spec: { config, logger, secrets: secretsOf(config.apiKey, config.headers) },
    supervision: {
      status: 'restarting',
      actor: null,
      starting: null,
      restarts: 0,
      crashes: [],
      failure: null,
      startedAt: clock.now(),
    },
    observed: {
      stats,
      cacheCounters: newCacheCounters(),
      history,
      observer: new ClientObserver(config, stats, history, logger, clock),
    },
  };
}

/** Name -> entry. */
export class Registry {
  private readonly entries = new Map<string, ClientEntry>();

  /** The entry of `name`, or UNKNOWN_CLIENT. */
  get(name: string): ClientEntry {
    const entry = this.entries.get(name);
    if (entry === undefined) {
      throw unknownClient(
        `no client named ${JSON.stringify(String(name).slice(0, 128))} is registered`,
      );
    }
    return entry;
  }

  /** The entry of `name`, or undefined. */
  find(name: string): ClientEntry | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  add(entry: ClientEntry): void {
    this.entries.set(entry.name, entry);
  }

  delete(name: string): void {
    this.entries.delete(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  all(): IterableIterator<ClientEntry> {
    return this.entries.values();
  }
}
