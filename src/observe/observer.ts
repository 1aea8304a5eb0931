/**
 * The one observer of a client's requests and attempts: it feeds the stats, the history, the
 * logs, the spending (cost and budget) and the spans. The request path reports here and nowhere
 * else, so tracing and metrics plug in at one place (the way undici publishes to
 * diagnostics_channel).
 */
import type { Logger } from 'pino';
import { costUsd } from '../config/pricing.js';
import type { ResolvedClientConfig } from '../config/types.js';
import type { Clock } from '../model/clock.js';
import type { LlmActorsError } from '../model/errors.js';
import { RepeatLimiter } from '../model/log-limit.js';
import type { ChatMessage, Completion, EffectiveParams, Usage } from '../model/request.js';
import { Budget } from './budget.js';
import type { HistoryEntry, HistoryRing } from './history.js';
import type { ClientStats } from './stats.js';
import { RequestSpan } from './tracing.js';

/** What the observer reads of a request (and writes: its span). */
export interface ObservedRequest {
  readonly id: string;
  readonly startedAt: number;
  readonly messages: ChatMessage[];
  readonly params: EffectiveParams;
  readonly rolloutId: string | number | undefined;
  /** The request's span, while a tracer is registered. */
  span: RequestSpan | undefined;
}

/** What the observer reads of an upstream call sequence. */
export interface ObservedFlight {
  /** The request id of the caller that launched it. */
  readonly id: string;
  /** The launching request's span, while a tracer is registered. */
  readonly span: RequestSpan | undefined;
  /** Attempts made so far. */
  readonly attempts: number;
}

/**
 * Failed-attempt lines of one code, at most one a second per client; the repeats are counted
 * into a summary line. A provider that is down would otherwise write a line per attempt.
 */
const ATTEMPT_LOG_WINDOW_MS = 1_000;

/** Receives the events of one client's request path. */
export class ClientObserver {
  /** The client's daily spending against its budget, when it has one. */
  readonly budget: Budget | undefined;
  private readonly debug: boolean;
  private readonly client: string;
  private readonly attemptLog: RepeatLimiter;
  /** Lines a misbehaving upstream would otherwise repeat per event. */
  private readonly limited: RepeatLimiter;
  /** Counts (and logs) a skipped stream event; bound once, handed to every streamed call. */
  readonly skippedEvent = (why: string): void => {
    this.stats.stream.skippedEvents++;
    this.limited.write('warn', { why }, 'skipped a stream event that is not JSON');
  };

  constructor(
    private readonly config: ResolvedClientConfig,
    private readonly stats: ClientStats,
    private readonly history: HistoryRing,
    private readonly logger: Logger,
    clock: Clock,
  ) {
    this.client = config.name;
    // Read once: asking pino per event costs more than the events themselves.
    this.debug = logger.isLevelEnabled('debug');
    this.budget = config.budget && new Budget(config.name, config.budget, clock);
    this.attemptLog = new RepeatLimiter(logger, ATTEMPT_LOG_WINDOW_MS, clock);
    this.limited = new RepeatLimiter(logger, undefined, clock);
  }

  /** A request reached the client (counted before anything can refuse it). */
  started(request: ObservedRequest | undefined, streamed = false): void {
    this.stats.requests.total++;
    if (request === undefined) return;
    request.span = RequestSpan.start(this.config, request.params, request.messages, streamed);
    if (this.debug) {
      this.logger.debug({ req: request.id, messages: request.messages.length }, 'request');
    }
  }

  /** A request was answered from the cache. */
  cacheHit(request: ObservedRequest): void {
    request.span?.event('cache.hit');
    if (this.debug) this.logger.debug({ req: request.id }, 'cache hit');
  }

  /** A request joined an identical one already under way (single-flight). */
  joined(request: ObservedRequest, flight: ObservedFlight): void {
    request.span?.event('single_flight.join', { 'llm_actors.flight': flight.id });
    if (this.debug) this.logger.debug({ req: request.id, flight: flight.id }, 'joined');
  }

  /**
   * An upstream attempt failed: another follows after `delay` ms, or none (`undefined`). A
   * FUSE_OPEN here is the fuse cutting the retries short, not an attempt of its own; an
   * ABORTED one was given up by its callers. Both stay out of the warnings.
   */
  attemptFailed(flight: ObservedFlight, error: LlmActorsError, delay: number | undefined): void {
    if (delay !== undefined) flight.span?.retryIn(delay);
    if (error.code === 'FUSE_OPEN') return;
    if (error.code === 'ABORTED') {
      // The callers left: their choice, not the provider's failure.
      if (this.debug) this.logger.debug({ req: flight.id, attempt: flight.attempts }, 'aborted');
      return;
    }
    this.attemptLog.write(
      'warn',
      // The client is named by the logger (a child per client).
      { req: flight.id, attempt: flight.attempts, code: error.code, delay },
      `attempt failed: ${error.code}`,
    );
  }

  /**
   * A streamed attempt failed after the provider reported its usage: it was billed, so it is
   * counted in the usage, the cost and the budget, though no caller got an answer. Returns the
   * cost (undefined without a price table).
   */
  paidUnanswered(flight: ObservedFlight, usage: Usage): number | undefined {
    const cost = this.cost(usage);
    this.stats.paid(usage, cost);
    this.budget?.spend(cost ?? 0, usage.totalTokens);
    if (cost !== undefined) flight.span?.set('llm_actors.cost_usd', cost);
    return cost;
  }

  /** What an answer cost: undefined without a price table, 0 when it was not paid for here. */
  cost(paid: Usage | undefined): number | undefined {
    const pricing = this.config.pricing;
    if (pricing === undefined) return undefined;
    return paid === undefined ? 0 : costUsd(paid, pricing);
  }

  /** A request succeeded; `paid` is the usage paid upstream for it (absent for a hit or a join). */
  succeeded(request: ObservedRequest, completion: Completion, paid: Usage | undefined): void {
    const cost = completion.costUsd;
    this.stats.succeeded(completion.latencyMs, paid, completion.cacheHit, cost);
    if (paid !== undefined) this.budget?.spend(cost ?? 0, paid.totalTokens);
    request.span?.succeeded(completion, cost);
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
    request.span?.failed(error);
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
