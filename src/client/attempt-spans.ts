/**
 * The tracing stage of the attempt path, between the retries and the fuse gate: each attempt of
 * a traced request gets its child span `attempt <n>`, and the request's span learns the fuse's
 * state after it (with a `fuse.open` event when this attempt's failure melted it). Composed only
 * when `@opentelemetry/api` is installed; an untraced flight passes through.
 */
import type { LlmActorsError } from '../model/errors.js';
import type { AttemptSpan, RequestSpan } from '../observe/tracing.js';
import type { Fuse } from '../policy/fuse.js';
import type { AttemptHandler, Stage } from './attempts.js';
import type { Flight, FlightAnswer } from './flight.js';

/** Spans the attempts of traced flights. */
export function attemptSpans(fuse: Fuse): Stage {
  return (next) => (flight, handler) => {
    const parent = flight.span;
    if (parent === undefined) {
      next(flight, handler);
      return;
    }
    const melts = fuse.snapshot().melts;
    next(flight, new Spanned(parent, parent.attempt(flight.attempts + 1), fuse, melts, handler));
  };
}

/** Ends an attempt's span with its outcome, then passes the outcome on. */
class Spanned implements AttemptHandler {
  constructor(
    private readonly parent: RequestSpan,
    private readonly span: AttemptSpan,
    private readonly fuse: Fuse,
    private readonly melts: number,
    private readonly handler: AttemptHandler,
  ) {}

  onAnswer(flight: Flight, answer: FlightAnswer): void {
    this.span.ok();
    this.parent.set('llm_actors.fuse_state', this.fuse.snapshot().state);
    this.handler.onAnswer(flight, answer);
  }

  onFailure(flight: Flight, error: LlmActorsError): void {
    this.span.failed(error);
    const fuse = this.fuse.snapshot();
    this.parent.set('llm_actors.fuse_state', fuse.state);
    if (fuse.melts > this.melts && fuse.state === 'open') {
      this.parent.event('fuse.open', { 'llm_actors.fuse.retry_at': fuse.retryAt ?? 0 });
    }
    this.handler.onFailure(flight, error);
  }
}
