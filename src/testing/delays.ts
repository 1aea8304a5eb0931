/**
 * The server's delays (latency, trickle) on the real clock: a test that installs fake timers
 * still gets a server that takes real time, and none of its timers outlives the server.
 */
import type { ServerResponse } from 'node:http';

// Captured at load so that tests installing fake timers afterwards still get real delays here.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** `Date.now` as it was when this module loaded, out of reach of fake timers. */
export const realNow = Date.now;

/** The pending delays of one server; {@link Delays.close} cancels them all. */
export class Delays {
  #cancels = new Set<() => void>();
  #closed = false;

  /** Resolves true after `ms`, or false as soon as the response closes or the server closes. */
  sleep(ms: number, res: ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.#closed || res.destroyed) return resolve(false);
      const finish = (completed: boolean): void => {
        realClearTimeout(timer);
        res.off('close', cancel);
        this.#cancels.delete(cancel);
        resolve(completed);
      };
      const cancel = (): void => finish(false);
      const timer = realSetTimeout(() => finish(true), ms);
      res.once('close', cancel);
      this.#cancels.add(cancel);
    });
  }

  /** Ends every pending delay (each resolves false) and every later one at once. */
  close(): void {
    this.#closed = true;
    for (const cancel of this.#cancels) cancel();
  }
}
