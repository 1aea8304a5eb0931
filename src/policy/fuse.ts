/**
 * The fuse: a circuit breaker per client, as an xstate machine.
 *
 * closed    — failures are recorded with their time; those older than `windowMs` drop out;
 *             reaching `maxFailures` melts it.
 * open      — requests fail fast until `retryAt = openedAt + min(resetMs * backoffFactor^(n-1),
 *             maxResetMs)`, n the consecutive opens; then it turns half_open by itself.
 * half_open — one probe goes through; its success closes the fuse (history and backoff
 *             cleared), its failure opens it again one backoff step further.
 *
 * The request path only reads the snapshot ({@link Fuse.ask}); it sends an event only when
 * something changes (a probe taken, an outcome that counts).
 *
 * In a fleet (`fuse.shared`), news from other processes arrives as REMOTE_OPEN (open for this
 * long, from now on this machine's clock: durations travel, never timestamps, so clock skew
 * does not matter) and REMOTE_CLOSE (a probe succeeded elsewhere). Each process still probes
 * for itself when its own open time is up.
 */
import { createActor, type Actor, type Subscription } from 'xstate';
import { unrefTimer, type Clock } from '../model/clock.js';
import type { FuseConfig } from '../config/types.js';
import { fuseMachine, inWindow, type FuseEvent } from './fuse-machine.js';

/** The fuse's state. */
export type FuseState = 'closed' | 'open' | 'half_open';

/** The fuse part of a health snapshot. */
export interface FuseSnapshot {
  state: FuseState;
  /** Failures counted in the window (at the melt, while open). */
  failures: number;
  /** How many times it has opened. */
  melts: number;
  /** When an open fuse lets a probe through (epoch ms); null when closed. */
  retryAt: number | null;
}

/** The answer of {@link Fuse.ask}. */
export type FuseTicket = { ok: true; probe: boolean } | { ok: false; retryAt: number | null };

/** How an attempt ended, as far as the fuse is concerned. */
export type FuseOutcome = 'success' | 'failure' | 'neutral';

const OK: FuseTicket = { ok: true, probe: false };
const OK_PROBE: FuseTicket = { ok: true, probe: true };

/**
 * Called with the new snapshot whenever the fuse changes state; `remote` is true when the
 * change came from another process of the fleet (and so must not be announced again).
 */
export type FuseListener = (snapshot: FuseSnapshot, previous: FuseState, remote: boolean) => void;

/**
 * One client's fuse. Cheap to ask; reports outcomes as events only when they count.
 */
export class Fuse {
  private readonly actor: Actor<typeof fuseMachine>;
  private readonly subscription: Subscription;
  private readonly clock: Clock;
  private state: FuseState = 'closed';
  private remote = false;

  constructor(
    config: FuseConfig,
    clock: Clock,
    onChange: FuseListener,
    onError: (e: unknown) => void,
  ) {
    this.clock = clock;
    this.actor = createActor(fuseMachine, {
      input: { config },
      clock: {
        setTimeout: (fn, ms) => {
          const handle = clock.setTimeout(fn, ms);
          unrefTimer(handle);
          return handle;
        },
        clearTimeout: (handle) => clock.clearTimeout(handle),
      },
    });
    this.subscription = this.actor.subscribe({
      next: (snap) => {
        const next = snap.value as FuseState;
        if (next === this.state) return;
        const previous = this.state;
        this.state = next;
        onChange(this.snapshot(), previous, this.remote);
      },
      error: onError,
    });
    this.actor.start();
  }

  /** May a request go upstream now? In half_open only the first asker gets the probe. */
  ask(): FuseTicket {
    this.catchUp();
    switch (this.state) {
      case 'closed':
        return OK;
      case 'open':
        return { ok: false, retryAt: this.actor.getSnapshot().context.retryAt };
      case 'half_open': {
        const context = this.actor.getSnapshot().context;
        if (context.probing) return { ok: false, retryAt: context.retryAt };
        this.actor.send({ type: 'PROBE' });
        return OK_PROBE;
      }
      default:
        throw new Error(`unknown fuse state ${String(this.state satisfies never)}`);
    }
  }

  /** Would {@link ask} let a request through? Takes no probe. */
  peek(): FuseTicket {
    if (this.state === 'closed') return OK;
    this.catchUp();
    const context = this.actor.getSnapshot().context;
    return this.state === 'half_open' && !context.probing
      ? OK_PROBE
      : { ok: false, retryAt: context.retryAt };
  }

  /**
   * An open fuse whose retryAt has come is half open, even if its reset timer has not fired
   * yet: a caller told to come back at retryAt (Retry-After) may wake before the timer does.
   */
  private catchUp(): void {
    if (this.state === 'open') this.actor.send({ type: 'DUE', at: this.clock.now() });
  }

  /**
   * Caps this open period at `ms`: an open fuse opened at least `ms` ago turns half_open now,
   * whatever its backoff step. A group calls it for a member while other members carry the
   * traffic, so a recovered provider is probed again within `ms` instead of the backoff's minutes.
   */
  cap(ms: number): void {
    if (this.state === 'open') this.actor.send({ type: 'DUE', at: this.clock.now(), capMs: ms });
  }

  /** Reports how an attempt that {@link ask} let through ended. */
  report(outcome: FuseOutcome, probe: boolean): void {
    if (outcome === 'failure') {
      if (this.state === 'open') return;
      this.actor.send({ type: 'FAILURE', at: this.clock.now(), probe });
    } else if (probe) {
      this.actor.send(
        outcome === 'success' ? { type: 'SUCCESS', probe } : { type: 'PROBE_RELEASE' },
      );
    }
  }

  /**
   * Another process's fuse for this client opened for `durationMs`: a closed fuse opens for as
   * long (an open or half-open one keeps its own course, and its own probe).
   */
  remoteOpen(durationMs: number): void {
    this.fromRemote({ type: 'REMOTE_OPEN', at: this.clock.now(), durationMs });
  }

  /** A probe succeeded in another process: an open or half-open fuse closes. */
  remoteClose(): void {
    this.fromRemote({ type: 'REMOTE_CLOSE' });
  }

  private fromRemote(event: FuseEvent): void {
    // Sending is synchronous, and so is the listener it triggers: the flag covers exactly it.
    this.remote = true;
    try {
      this.actor.send(event);
    } finally {
      this.remote = false;
    }
  }

  /** The fuse part of a health snapshot. */
  snapshot(): FuseSnapshot {
    const context = this.actor.getSnapshot().context;
    const failures =
      this.state === 'closed'
        ? inWindow(context.failures, this.clock.now(), context.config.windowMs)
        : context.failures;
    return {
      state: this.state,
      failures: failures.length,
      melts: context.melts,
      retryAt: this.state === 'closed' ? null : context.retryAt,
    };
  }

  /** Stops the machine and its reset timer. */
  stop(): void {
    this.subscription.unsubscribe();
    this.actor.stop();
  }
}
