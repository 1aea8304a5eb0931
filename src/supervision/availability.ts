/**
 * A client without a running actor: waiting for a restart under way (within the request's own
 * deadline and signal), or the error that says why it cannot answer.
 */
import { arm, disarm, type Watched } from '../client/waiter.js';
import type { ClientActor } from '../client/actor.js';
import type { Clock } from '../model/clock.js';
import type { LlmActorsError } from '../model/errors.js';
import {
  aborted,
  clientFailed,
  restarted,
  runtimeStopped,
  timedOut,
  unknownClient,
} from '../model/failures.js';
import type { RequestOptions } from '../model/request.js';
import type { ClientEntry } from './registry.js';

/**
 * The running actor of `entry`, once a restart under way has finished; or the error that says
 * why there is none (`stopping` is read after the wait).
 */
export async function awaitActor(
  entry: ClientEntry,
  clock: Clock,
  options: RequestOptions | undefined,
  deadline: number,
  stopping: () => boolean,
): Promise<ClientActor> {
  const actor = entry.supervision.starting
    ? await awaitStart(entry, clock, options, deadline)
    : null;
  if (actor === null) throw unavailable(entry, stopping());
  return actor;
}

/** Waits for a restart under way, within the request's own deadline and signal. */
export function awaitStart(
  entry: ClientEntry,
  clock: Clock,
  options: RequestOptions | undefined,
  deadline: number,
): Promise<ClientActor | null> {
  const client = entry.name;
  const timeoutMs = options?.timeoutMs ?? entry.spec.config.timeoutMs;
  return new Promise((resolve, reject) => {
    const wait: Watched = {
      deadline,
      signal: options?.signal,
      timer: undefined,
      onAbort: undefined,
    };
    let settled = false;
    const done = (error?: LlmActorsError) => {
      if (settled) return;
      settled = true;
      disarm(wait, clock);
      if (error) reject(error);
      else resolve(entry.supervision.actor);
    };
    arm(wait, clock, (_, why) =>
      done(
        why === 'timeout'
          ? timedOut(client, timeoutMs, ' (the client was restarting)')
          : aborted(client),
      ),
    );
    void entry.supervision.starting?.then(
      () => done(),
      () => done(),
    );
  });
}

/** The error for a client that has no running actor. */
export function unavailable(entry: ClientEntry, stopping: boolean): LlmActorsError {
  const client = entry.name;
  switch (entry.supervision.status) {
    case 'failed':
      return clientFailed(client, entry.supervision.failure);
    case 'restarting':
    case 'running':
      return restarted(client);
    case 'stopped':
      return stopping
        ? runtimeStopped()
        : unknownClient(`${client}: the client was unregistered`, client);
    default:
      throw new Error(`unknown client status ${String(entry.supervision.status satisfies never)}`);
  }
}
