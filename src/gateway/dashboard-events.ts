/**
 * The dashboards' event stream (`GET /events`): a health snapshot as an SSE event on connect,
 * on every runtime event, and every interval in between. Each stream may hold at most
 * `bufferBytes` of events its reader has not taken yet; a reader that falls further behind is
 * disconnected (its dashboard reconnects and starts afresh), so a reader that never reads costs
 * the gateway a bounded amount of memory.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Runtime } from '../runtime.js';
import { openHealthOfAll } from './open-health.js';

/** What the event streams of one gateway are given. */
export interface DashboardEventsOptions {
  /** How often a snapshot is sent between runtime events, ms. */
  intervalMs: number;
  /** Unsent bytes a stream may hold before its reader is dropped. */
  bufferBytes: number;
  logger: Logger;
}

/** The open dashboard streams of one gateway. */
export class DashboardEvents {
  private readonly streams = new Set<ServerResponse>();
  private readonly ticker: NodeJS.Timeout;
  /** Readers dropped for falling behind, since the gateway started. */
  dropped = 0;

  constructor(
    private readonly runtime: Runtime,
    private readonly options: DashboardEventsOptions,
  ) {
    this.ticker = setInterval(() => this.broadcast(), options.intervalMs);
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
    for (const res of this.streams) {
      // What node holds for this reader, in its buffers and the socket's: past the budget, the
      // reader is not keeping up, and waiting for it would only grow the gateway.
      if (res.writableLength > this.options.bufferBytes) this.drop(res);
      else res.write(event);
    }
  }

  /** Stops the ticker and ends every stream. */
  close(): void {
    clearInterval(this.ticker);
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private drop(res: ServerResponse): void {
    this.streams.delete(res);
    this.dropped++;
    this.options.logger.info(
      { unsent: res.writableLength, dropped: this.dropped },
      'dashboard stream dropped: its reader fell behind',
    );
    res.destroy();
  }

  private snapshot(): string {
    const health = { now: Date.now(), clients: openHealthOfAll(this.runtime.health()) };
    return `event: health\ndata: ${JSON.stringify(health)}\n\n`;
  }
}
