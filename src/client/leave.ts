/**
 * A caller leaving its flight before the answer: its deadline passed or its signal aborted. It
 * gets its error now; the flight goes on for the callers still waiting on it, and is cancelled
 * (or taken out of the queue) when the last one has left.
 */
import { aborted, timedOut } from '../model/failures.js';
import type { Admission } from './admission.js';
import type { Waiter } from './flight.js';
import type { Flights } from './flights.js';
import type { Reply } from './reply.js';

/** Settles `waiter` with TIMEOUT or ABORTED and lets its flight go when nobody else waits. */
export function leaveFlight(
  waiter: Waiter,
  why: 'timeout' | 'aborted',
  client: string,
  reply: Reply,
  flights: Flights,
  admission: Admission,
): void {
  if (waiter.settled) return;
  const error = why === 'timeout' ? timedOut(client, waiter.timeoutMs) : aborted(client);
  const flight = waiter.flight;
  reply.fail(waiter, error, flight === undefined || flight.attempts === 0);
  if (flight === undefined) return;
  const waiters = flight.waiters;
  const at = waiters.indexOf(waiter);
  if (at >= 0) waiters.splice(at, 1);
  if (waiters.length > 0 || flight.state === 'done') return;
  flights.unshare(flight);
  if (flight.state === 'queued') {
    flight.state = 'done';
    flights.forget(flight);
    admission.left(flight);
    flights.notifyIdle();
  } else {
    flight.cancel.abort(error);
  }
}
