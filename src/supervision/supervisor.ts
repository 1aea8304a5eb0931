/**
 * The supervisor: one_for_one, every child permanent. A crash of a client's actor rejects what
 * it had in flight (CLIENT_RESTARTED), and the actor is rebuilt from its config under the same
 * name. More than `maxRestarts` crashes of one client within `periodMs` and the supervisor
 * gives up on that client (`failed`) until `runtime.restart` brings it back. Nothing here ever
 * throws into another client or out of the runtime.
 */
import { ClientActor, type ActorDeps } from '../client/actor.js';
import type { Clock, TimerHandle } from '../model/clock.js';
import type { SupervisorConfig } from '../config/types.js';
import { clientFailed, runtimeStopped } from '../model/failures.js';
import type { EventHub } from '../observe/events.js';
import type { ClientEntry } from './registry.js';

/** Reads the status afresh (it may have changed across an await). */
function isStopped(entry: ClientEntry): boolean {
  return entry.supervision.status === 'stopped';
}

/** Logs without letting a broken logger break supervision. */
function log(entry: ClientEntry, level: 'info' | 'warn' | 'error', obj: object, msg: string): void {
  try {
    entry.spec.logger[level](obj, msg);
  } catch {
    // The logger is the one resource the supervisor cannot report a fault of.
  }
}

function isFailed(entry: ClientEntry): boolean {
  return entry.supervision.status === 'failed';
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Restarts crashed actors, counting intensity per client. */
export class Supervisor {
  private readonly draining = new Map<ClientActor, { name: string; timer: TimerHandle }>();
  private readonly backoffs = new Map<
    ClientEntry,
    { timer: TimerHandle; wake: (proceed: boolean) => void }
  >();

  constructor(
    private readonly config: SupervisorConfig,
    private readonly clock: Clock,
    private readonly events: EventHub,
  ) {}

  /** Starts a client's first incarnation; rejects if its resources cannot be opened. */
  start(entry: ClientEntry): Promise<void> {
    return this.track(entry, this.spawn(entry));
  }

  /** `runtime.kill`: crashes the actor on purpose; the supervisor takes over. */
  kill(entry: ClientEntry, reason = 'killed by runtime.kill'): void {
    if (entry.supervision.actor !== null)
      this.crash(entry, entry.supervision.actor, new Error(reason));
  }

  /** `runtime.restart`: a fresh incarnation now, whatever the state, intensity cleared. */
  async restart(entry: ClientEntry): Promise<void> {
    this.cancelBackoff(entry);
    if (entry.supervision.starting) await entry.supervision.starting;
    if (entry.supervision.status === 'stopped') return;
    const actor = entry.supervision.actor;
    entry.supervision.actor = null;
    actor?.crash(new Error('restarted by runtime.restart'));
    entry.supervision.crashes = [];
    entry.supervision.failure = null;
    await this.track(entry, this.respawn(entry));
    if (isFailed(entry)) {
      throw clientFailed(entry.name, entry.supervision.failure);
    }
  }

  /**
   * Stops a client for good: drains its actor and closes its resources. After `graceMs` what
   * is still pending rejects with RUNTIME_STOPPED (0: at once; undefined: wait for deadlines).
   */
  async stop(entry: ClientEntry, graceMs?: number): Promise<void> {
    entry.supervision.status = 'stopped';
    this.cancelBackoff(entry);
    if (entry.supervision.starting) await entry.supervision.starting;
    const actor = entry.supervision.actor;
    entry.supervision.actor = null;
    if (actor === null) return;
    this.draining.set(actor, { name: entry.name, timer: undefined });
    if (graceMs !== undefined) this.cutOff(actor, graceMs);
    await actor.close();
    const timer = this.draining.get(actor)?.timer;
    if (timer !== undefined) this.clock.clearTimeout(timer);
    this.draining.delete(actor);
  }

  /** Gives every actor still draining at most `graceMs` more (a second, firmer stop). */
  hurry(graceMs: number): void {
    for (const actor of this.draining.keys()) this.cutOff(actor, graceMs);
  }

  private cutOff(actor: ClientActor, graceMs: number): void {
    const draining = this.draining.get(actor);
    if (draining === undefined) return;
    const stop = () => actor.abort(runtimeStopped(draining.name));
    if (draining.timer !== undefined) this.clock.clearTimeout(draining.timer);
    if (graceMs === 0) stop();
    else draining.timer = this.clock.setTimeout(stop, graceMs);
  }

  private deps(entry: ClientEntry): ActorDeps {
    return {
      config: entry.spec.config,
      clock: this.clock,
      logger: entry.spec.logger,
      observer: entry.observed.observer,
      cacheCounters: entry.observed.cacheCounters,
      secrets: entry.spec.secrets,
      onCrash: (actor, error) => this.crash(entry, actor, error),
      onFuseChange: (fuse, from, remote) => {
        const at = this.clock.now();
        const type = `fuse:${fuse.state}` as const;
        const message = `fuse ${fuse.state}${remote ? ' (news from the fleet)' : ''}`;
        log(entry, fuse.state === 'open' ? 'warn' : 'info', { fuse, from, remote }, message);
        this.events.emit({ type, client: entry.name, at, from, fuse });
      },
    };
  }

  private async spawn(entry: ClientEntry): Promise<void> {
    entry.supervision.status = 'restarting';
    const actor = await ClientActor.start(this.deps(entry));
    if (isStopped(entry)) {
      await actor.close();
      return;
    }
    entry.supervision.actor = actor;
    entry.supervision.status = 'running';
    entry.supervision.startedAt = actor.startedAt;
  }

  private async respawn(entry: ClientEntry): Promise<void> {
    try {
      await this.spawn(entry);
    } catch (error) {
      this.fail(entry, `restart failed: ${reasonOf(error)}`);
      return;
    }
    if (entry.supervision.status !== 'running') return;
    entry.supervision.restarts++;
    log(entry, 'info', { restarts: entry.supervision.restarts }, 'client restarted');
    this.events.emit({
      type: 'client:restarted',
      client: entry.name,
      at: this.clock.now(),
      restarts: entry.supervision.restarts,
    });
  }

  private track(entry: ClientEntry, work: Promise<void>): Promise<void> {
    const starting = work.finally(() => {
      if (entry.supervision.starting === starting) entry.supervision.starting = null;
    });
    entry.supervision.starting = starting;
    return starting;
  }

  /** An actor faulted: reject its work, count the crash, restart it or give up. */
  crash(entry: ClientEntry, actor: ClientActor, error: unknown): void {
    if (entry.supervision.actor !== actor) return;
    entry.supervision.actor = null;
    actor.crash(error);
    const now = this.clock.now();
    const reason = reasonOf(error);
    log(entry, 'error', { err: error }, 'client actor crashed');
    this.events.emit({ type: 'client:crashed', client: entry.name, at: now, reason });
    entry.supervision.crashes = entry.supervision.crashes.filter(
      (t) => now - t < this.config.periodMs,
    );
    entry.supervision.crashes.push(now);
    if (entry.supervision.crashes.length > this.config.maxRestarts) {
      this.fail(
        entry,
        `${entry.supervision.crashes.length} crashes within ${this.config.periodMs} ms (maxRestarts ${this.config.maxRestarts}); last: ${reason}`,
      );
      return;
    }
    entry.supervision.status = 'restarting';
    this.track(
      entry,
      this.delayed(entry).then((proceed) => (proceed ? this.respawn(entry) : undefined)),
    );
  }

  /** Waits out the restart backoff; false when it was cancelled (restart or stop). */
  private delayed(entry: ClientEntry): Promise<boolean> {
    if (this.config.backoffMs <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = (proceed: boolean) => {
        this.backoffs.delete(entry);
        resolve(proceed);
      };
      const timer = this.clock.setTimeout(() => wake(true), this.config.backoffMs);
      this.backoffs.set(entry, { timer, wake });
    });
  }

  private cancelBackoff(entry: ClientEntry): void {
    const backoff = this.backoffs.get(entry);
    if (backoff === undefined) return;
    this.clock.clearTimeout(backoff.timer);
    backoff.wake(false);
  }

  private fail(entry: ClientEntry, reason: string): void {
    if (entry.supervision.status === 'stopped') return;
    entry.supervision.status = 'failed';
    entry.supervision.failure = reason;
    log(entry, 'error', { reason }, 'supervisor gave up on the client');
    this.events.emit({ type: 'client:failed', client: entry.name, at: this.clock.now(), reason });
  }
}
