/**
 * The time limits of one attempt (a client's `firstTokenTimeoutMs` and `idleTimeoutMs`): a
 * cancellation of the attempt's own that follows the flight's, and aborts by itself when the
 * provider is too slow to start or falls silent mid-way. Made only for clients that set a limit.
 */
import type { Clock, TimerHandle } from '../model/clock.js';
import { firstTokenTimeout, idleTimeout } from '../model/failures.js';
import { Cancellation } from './cancellation.js';

/** A client's attempt time limits, in ms (undefined: off). */
export interface AttemptLimits {
  client: string;
  firstTokenMs: number | undefined;
  idleMs: number | undefined;
}

/** The limits of a client config, or undefined when it sets none (no watch is made then). */
export function attemptLimits(config: {
  name: string;
  firstTokenTimeoutMs: number | undefined;
  idleTimeoutMs: number | undefined;
}): AttemptLimits | undefined {
  const { firstTokenTimeoutMs: firstTokenMs, idleTimeoutMs: idleMs } = config;
  if (firstTokenMs === undefined && idleMs === undefined) return undefined;
  return { client: config.name, firstTokenMs, idleMs };
}

/**
 * Watches one attempt. The transport reports its answer's arrival (headers, each piece of the
 * body, pauses for a slow reader); the attempt reports its first delta. Its {@link cancel} is
 * what the attempt runs under: aborted with the flight's reason, or with TIMEOUT / NETWORK_ERROR
 * when a limit is passed.
 */
export class AttemptWatch {
  /** The attempt's cancellation. */
  readonly cancel = new Cancellation();
  /** It was `idleTimeoutMs` that ended the attempt. */
  idled = false;
  private first: TimerHandle | undefined;
  private idle: TimerHandle | undefined;
  /** When the body last moved (or reading resumed), on the clock. */
  private last = 0;
  /** Reading is paused for the consumer: that silence is ours, not the provider's. */
  private held = false;
  private readonly follow = (reason: unknown) => this.expire(reason);
  private readonly checkIdle = () => this.idleCheck();

  constructor(
    private readonly limits: AttemptLimits,
    private readonly clock: Clock,
    private readonly flight: Cancellation,
    /** A stream waits for its first delta; an answer that is not streamed, for its headers. */
    private readonly stream: boolean,
  ) {
    if (!flight.onAbort(this.follow)) return;
    const ms = limits.firstTokenMs;
    if (ms !== undefined) {
      this.first = clock.setTimeout(
        () => this.expire(firstTokenTimeout(limits.client, ms, stream)),
        ms,
      );
    }
  }

  /**
   * The response headers arrived: for an answer that is not streamed, the silence limit starts.
   * A stream's starts at its first delta; until then `firstTokenTimeoutMs` (or the deadline)
   * is its limit, so a model that thinks long before its first token is not cut for silence.
   */
  headers(): void {
    if (this.stream) return;
    this.clearFirst();
    this.startIdle();
  }

  /**
   * The answer moved on: a piece of a body that is not streamed, or a stream's delta. A stream's
   * keep-alive comments and pings are not reported, so a stalled stream that sends only those
   * is still silent.
   */
  data(): void {
    this.last = this.clock.now();
  }

  /** Reading paused for a slow consumer (true), or resumed (false). */
  hold(held: boolean): void {
    this.held = held;
    if (!held) this.last = this.clock.now();
  }

  /** The first delta of a stream reached the caller: the silence limit starts. */
  token(): void {
    this.clearFirst();
    this.startIdle();
  }

  private startIdle(): void {
    const ms = this.limits.idleMs;
    if (ms === undefined || this.idle !== undefined || this.cancel.aborted) return;
    this.last = this.clock.now();
    this.idle = this.clock.setTimeout(this.checkIdle, ms);
  }

  /** The attempt ended: timers stop, the flight's cancellation is let go. */
  end(): void {
    this.clearFirst();
    if (this.idle !== undefined) this.clock.clearTimeout(this.idle);
    this.idle = undefined;
    this.flight.off(this.follow);
  }

  private clearFirst(): void {
    if (this.first === undefined) return;
    this.clock.clearTimeout(this.first);
    this.first = undefined;
  }

  // One timer for the whole body, moved on only when it fires: resetting a timer for every
  // piece would cost a timer per chunk of every stream.
  private idleCheck(): void {
    const ms = this.limits.idleMs!;
    const quiet = this.clock.now() - this.last;
    if (this.held || quiet < ms) {
      this.idle = this.clock.setTimeout(this.checkIdle, this.held ? ms : ms - quiet);
      return;
    }
    this.idle = undefined;
    this.idled = true;
    this.expire(idleTimeout(this.limits.client, ms));
  }

  private expire(reason: unknown): void {
    this.end();
    this.cancel.abort(reason);
  }
}
