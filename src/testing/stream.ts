import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { StreamEvent } from './formats/index.js';
import { flushed, writePieces } from './http.js';

/**
 * Where and how a stream is broken off: an in-stream error event, a destroyed socket, or a
 * socket left silent for `ms` and then destroyed.
 */
export type StreamBreak =
  | { kind: 'stream_error'; afterDeltas: number; event: string }
  | { kind: 'stream_cut'; afterDeltas: number }
  | { kind: 'stream_stall'; afterDeltas: number; ms: number };

/** How {@link writeStream} writes one stream. */
export interface StreamPlan {
  contentType: string;
  events: StreamEvent[];
  /** Bytes per write (see `TestServerOptions.splitBytes`); whole events when unset. */
  splitBytes?: number;
  /** Delay between events (a `trickle` fault); none when 0. */
  delayMs: number;
  /** Delay before the first event after the head events (a `slow_first_token` fault). */
  firstDeltaDelayMs?: number;
  break?: StreamBreak;
}

/**
 * The index of the first event not written when breaking off after `afterDeltas` deltas: the
 * next delta, else the first terminating event after the last delta (or after the head).
 */
export function breakIndex(events: StreamEvent[], afterDeltas: number): number {
  let seen = 0;
  let afterLast = -1;
  for (const [i, event] of events.entries()) {
    if (event.phase !== 'delta') continue;
    if (seen === afterDeltas) return i;
    seen++;
    afterLast = i + 1;
  }
  if (afterLast >= 0) return afterLast;
  const tail = events.findIndex((e) => e.phase === 'tail');
  return tail >= 0 ? tail : events.length;
}

/**
 * Writes a 200 stream. `sleep` must resolve false once the response or the server closes, which
 * ends the writing. Resolves true only when the whole stream was sent with its terminator.
 */
export async function writeStream(
  res: ServerResponse,
  socket: Socket,
  plan: StreamPlan,
  sleep: (ms: number) => Promise<boolean>,
): Promise<boolean> {
  const { events, splitBytes, delayMs, firstDeltaDelayMs = 0 } = plan;
  const end = plan.break ? breakIndex(events, plan.break.afterDeltas) : events.length;
  res.writeHead(200, { 'content-type': plan.contentType, 'cache-control': 'no-cache' });
  // Headers go out at once even when no head event follows them before a pause.
  if (firstDeltaDelayMs > 0) res.flushHeaders();
  const pending = events.slice(0, end).map((e) => e.data);
  if (plan.break?.kind === 'stream_error') pending.push(plan.break.event);
  const firstDelta = events.findIndex((e) => e.phase !== 'head');
  for (const [i, data] of pending.entries()) {
    if (i > 0 && delayMs > 0 && !(await sleep(delayMs))) return false;
    if (i === firstDelta && firstDeltaDelayMs > 0 && !(await sleep(firstDeltaDelayMs))) {
      return false;
    }
    if (res.destroyed) return false;
    writePieces(res, data, splitBytes);
  }
  if (plan.break?.kind === 'stream_cut' || plan.break?.kind === 'stream_stall') {
    // Let what was written reach the socket first, so the client sees a stream cut mid-way.
    await flushed(res);
    if (plan.break.kind === 'stream_stall' && !(await sleep(plan.break.ms))) return false;
    socket.destroy();
    return false;
  }
  if (res.destroyed) return false;
  res.end();
  return plan.break === undefined;
}
