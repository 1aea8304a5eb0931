/**
 * Single-flight across processes: before calling upstream for a question, a process takes a
 * lock on it in Redis (`SET NX PX`). A process that finds the lock taken does not call: it
 * polls for the answer the holder will store and serves that. The lock expires a margin after
 * the holder's deadline, so a holder that dies or hangs only delays the others. Redis being
 * unreachable never blocks anyone: each process then calls for itself.
 *
 * Deadlines are on the runtime's clock; Redis is only ever given durations computed from it,
 * so the lock works whatever the wall clock of each machine says.
 */
import { nanoid } from 'nanoid';
import type { Clock } from '../model/clock.js';
import type { RedisLink } from './redis.js';

/** How often a process waiting for another's answer looks for it in Redis, ms. */
const PEER_POLL_MS = 10;
/** The fleet lock outlives the holder's deadline by this much, ms. */
const LOCK_MARGIN_MS = 1_000;
/** Deletes a lock only if it still holds the token that took it. */
const RELEASE_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * How a turn ends: with the answer another process stored (a hit), or with the lock's token
 * (call upstream, then {@link SingleFlight.release}), or with no token when Redis cannot be
 * asked or the wait is over (call upstream alone: degrade, never block).
 */
export type Turn<T> = { hit: T } | { token: string | undefined };

/** Where waiters find the answers their peers store (the shared cache). */
export interface PeerAnswers<T> {
  /** The valid answer stored for `key`, if any; never throws (a fault reads as none). */
  read(key: string): Promise<T | undefined>;
  /** `value`, read by {@link read}, is being served as a hit. */
  served(key: string, value: T): void;
}

/** The cross-process single-flight of one client. */
export class SingleFlight<T> {
  /**
   * @param redis - the connection the locks are taken on
   * @param namespace - the client's namespace: locks of two clients never meet
   * @param answers - where the answers of lock holders land
   * @param clock - the runtime's clock: deadlines, lock times and polling run on it
   */
  constructor(
    private readonly redis: RedisLink,
    private readonly namespace: string,
    private readonly answers: PeerAnswers<T>,
    private readonly clock: Clock,
  ) {}

  /**
   * Waits for this process's turn to call upstream for `key`: takes the fleet lock or — while
   * another process holds it — polls for that process's answer. Gives up waiting at `deadline`
   * (on the runtime's clock) or when `cancelled()` says so.
   *
   * @example
   * const turn = await flights.turn(key, clock.now() + 30_000, () => signal.aborted);
   * if ('hit' in turn) return turn.hit;
   * // Call upstream and store the answer; then, or at once if the call failed:
   * if (turn.token !== undefined) await flights.release(key, turn.token);
   */
  async turn(key: string, deadline: number, cancelled: () => boolean): Promise<Turn<T>> {
    const lock = this.lockKey(key);
    const token = nanoid();
    for (;;) {
      if (!this.redis.up) return { token: undefined };
      const taken = await this.take(lock, token, deadline);
      if (taken === undefined) return { token: undefined };
      if (taken) {
        // The previous holder may have stored its answer and let go between our lookup and
        // this lock: look once more before calling upstream.
        const answer = await this.answers.read(key);
        if (answer === undefined) return { token };
        await this.release(key, token);
        return this.hit(key, answer);
      }
      const waited = await this.awaitHolder(key, lock, deadline, cancelled);
      if (waited !== 'free') return waited;
    }
  }

  /** Gives the fleet lock of `key` back, if it is still this token's. Never throws. */
  async release(key: string, token: string): Promise<void> {
    try {
      await this.redis.run((client) =>
        client.eval(RELEASE_SCRIPT, { keys: [this.lockKey(key)], arguments: [token] }),
      );
    } catch {
      // The lock expires by itself.
    }
  }

  /**
   * Tries to take the lock, set to expire {@link LOCK_MARGIN_MS} after `deadline`: true when
   * taken, false when another process holds it, undefined when Redis did not answer.
   */
  private async take(lock: string, token: string, deadline: number): Promise<boolean | undefined> {
    const ttl = Math.max(1, Math.ceil(deadline - this.clock.now()) + LOCK_MARGIN_MS);
    try {
      const reply = await this.redis.run((client) =>
        client.set(lock, token, { NX: true, PX: ttl }),
      );
      return reply === 'OK';
    } catch {
      return undefined;
    }
  }

  /**
   * Polls while another process holds the lock: ends with its answer, with no token (the wait
   * is over or Redis cannot be asked), or `'free'` once the lock is gone without an answer.
   */
  private async awaitHolder(
    key: string,
    lock: string,
    deadline: number,
    cancelled: () => boolean,
  ): Promise<Turn<T> | 'free'> {
    for (;;) {
      await this.pause();
      if (cancelled() || this.clock.now() >= deadline) return { token: undefined };
      const answer = await this.answers.read(key);
      if (answer !== undefined) return this.hit(key, answer);
      let held: number;
      try {
        held = await this.redis.run((client) => client.exists(lock));
      } catch {
        return { token: undefined };
      }
      // The holder failed or died (its lock expired): take a turn ourselves.
      if (held === 0) return 'free';
    }
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, PEER_POLL_MS));
  }

  private hit(key: string, answer: T): { hit: T } {
    this.answers.served(key, answer);
    return { hit: answer };
  }

  private lockKey(key: string): string {
    return `llm-actors:lock:${this.namespace}:${key}`;
  }
}
