/**
 * The dashboards' event stream (`GET /events`): a health snapshot as an SSE event on connect,
 * on every runtime event, and every interval in between.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Runtime } from '../runtime.js';

/** The open dashboard streams of one gateway. */
export class DashboardEvents {
  private readonly streams = new Set<ServerResponse>();
  private readonly ticker: NodeJS.Timeout;

  constructor(
    private readonly runtime: Runtime,
    intervalMs: number,
  ) {
    this.ticker = setInterval(() => this.broadcast(), intervalMs);
    this.ticker.unref();
  }

  /** Answers `GET /events` (and `HEAD`, with the headers alone) and keeps the stream open. */
  open(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    // A HEAD has no body to stream: its headers are the whole answer.
    if (req.method === 'HEAD') return void res.end();
    res.write('retry: 1000\n\n' + this.snapshot());
    this.streams.add(res);
    req.on('close', () => this.streams.delete(res));
  }

  /** Sends a snapshot to every open stream; costs nothing while none is open. */
  broadcast(): void {
    if (this.streams.size === 0) return;
    const event = this.snapshot();
    for (const res of this.streams) res.write(event);
  }

  /** Stops the ticker and ends every stream. */
  close(): void {
    clearInterval(this.ticker);
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private snapshot(): string {
    const health = { now: Date.now(), clients: this.runtime.health() };
    return `event: health\ndata: ${JSON.stringify(health)}\n\n`;
  }
}
