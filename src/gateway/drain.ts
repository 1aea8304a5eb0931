/**
 * The responses under way, so that a graceful close can let them finish: once draining, each
 * answer closes its connection, so keep-alive callers go elsewhere and the requests under way
 * can reach none.
 */
import type { ServerResponse } from 'node:http';

/** Tracks a gateway's responses under way and waits for them when it closes. */
export class Drain {
  /** True once {@link Drain.start} was called: `/readyz` answers 503. */
  draining = false;
  private readonly active = new Set<ServerResponse>();
  private idle: (() => void) | undefined;
  /** One listener shared by every response (its `this`), rather than a closure per request. */
  private readonly closed: (this: ServerResponse) => void;

  constructor() {
    const active = this.active;
    const drain = this;
    this.closed = function (this: ServerResponse) {
      active.delete(this);
      if (active.size === 0) drain.idle?.();
    };
  }

  /** Counts `res` as under way until it closes. */
  track(res: ServerResponse): void {
    this.active.add(res);
    if (this.draining) res.setHeader('connection', 'close');
    res.on('close', this.closed);
  }

  /** Starts draining: the answers not yet started close their connections too. */
  start(): void {
    this.draining = true;
    for (const res of this.active) if (!res.headersSent) res.setHeader('connection', 'close');
  }

  /** Resolves once no response is under way, or after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    if (this.active.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (this.idle = resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }
}
