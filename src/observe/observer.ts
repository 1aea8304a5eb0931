/**
 * The one observer of a client's requests and attempts: it feeds the stats, the history and
 * the logs. The request path reports here and nowhere else, so tracing and metrics plug in
 * at one place (the way undici publishes to diagnostics_channel).
 */
import type { Logger } from 'pino';
import type { LlmActorsError } from '../model/errors.js';
import type { ChatMessage, Completion, EffectiveParams, Usage } from '../model/request.js';
import type { HistoryEntry, HistoryRing } from './history.js';
import type { ClientStats } from './stats.js';

/** What the observer reads of a request. */
export interface ObservedRequest {
  readonly id: string;
  readonly startedAt: number;
  readonly messages: ChatMessage[];
  readonly params: EffectiveParams;
  readonly rolloutId: string | number | undefined;
}

/** Receives the events of one client's request path. */
export class ClientObserver {
  private readonly debug: boolean;

  constructor(
    private readonly client: string,
    private readonly stats: ClientStats,
    private readonly history: HistoryRing,
    private readonly logger: Logger,
  ) {
    // Read once: asking pino per event costs more than the events themselves.
    this.debug = logger.isLevelEnabled('debug');
  }

  /** A request reached the client (counted before anything can refuse it). */
  started(request: ObservedRequest | undefined): void {
    this.stats.requests.total++;
    if (this.debug && request !== undefined) {
      this.logger.debug({ req: request.id, messages: request.messages.length }, 'request');
    }
  }

  /** A request was answered from the cache. */
  cacheHit(request: ObservedRequest): void {
    if (this.debug) this.logger.debug({ req: request.id }, 'cache hit');
  }

  /** An attempt failed and another follows after `delay` ms. */
  retrying(id: string, error: LlmActorsError, attempt: number, delay: number): void {
    if (this.debug) {
      this.logger.debug({ req: id, code: error.code, attempt, delay }, 'retrying');
    }
  }

  /** A request succeeded; `paid` is the usage paid upstream for it (absent for a hit or a join). */
  succeeded(request: ObservedRequest, completion: Completion, paid: Usage | undefined): void {
    this.stats.succeeded(completion.latencyMs, paid, completion.cacheHit);
    this.remember(request, completion, undefined);
  }

  /** A request failed; `rejected` when it was refused before any upstream attempt. */
  failed(
    request: ObservedRequest | undefined,
    error: LlmActorsError,
    at: number,
    rejected: boolean,
  ): void {
    this.stats.failed(error, at, rejected);
    if (request === undefined) return;
    this.remember(request, undefined, { code: error.code, message: error.message });
    if (this.debug) this.logger.debug({ req: request.id, code: error.code }, 'request failed');
  }

  private remember(
    request: ObservedRequest,
    completion: Completion | undefined,
    error: HistoryEntry['error'],
  ): void {
    const entry: HistoryEntry = {
      id: request.id,
      client: this.client,
      at: request.startedAt,
      messages: request.messages,
      params: request.params,
    };
    if (request.rolloutId !== undefined) entry.rolloutId = request.rolloutId;
    if (completion !== undefined) entry.completion = completion;
    if (error !== undefined) entry.error = error;
    this.history.push(entry);
  }
}
