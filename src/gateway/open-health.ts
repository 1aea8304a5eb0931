/**
 * Health as the gateway's open views show it (`/health`, `/health/<name>`, `/events` and so the
 * dashboard — none needs a key): the same snapshot with each client's last error reduced to its
 * code, its time and a fixed reason. An upstream's error message may quote the request (vLLM's
 * validation errors do), and request content must not reach a page anyone can open. The full
 * message stays in `runtime.health()` and in the answer to the caller who sent the request.
 */
import type { ErrorCode } from '../model/errors.js';
import { isClientHealth, type ClientHealth } from '../observe/health.js';

const REASON: Record<ErrorCode, string> = {
  INVALID_CONFIG: 'the client is misconfigured',
  INVALID_REQUEST: 'a request was refused as invalid',
  UNKNOWN_CLIENT: 'no client of that name',
  FUSE_OPEN: 'the fuse is open',
  QUEUE_FULL: 'the queue was full',
  TIMEOUT: 'a request ran out of time',
  ABORTED: 'a caller went away',
  PROVIDER_ERROR: 'the provider answered with an error',
  NETWORK_ERROR: 'the provider could not be reached',
  BAD_RESPONSE: 'the provider sent an answer that could not be read',
  CLIENT_RESTARTED: 'the client was restarted',
  CLIENT_FAILED: 'the client failed',
  RUNTIME_STOPPED: 'the runtime stopped',
  BUDGET_EXCEEDED: 'the daily budget is spent',
  RATE_LIMITED: 'a request was held back by a rate limit',
};

/** One client's health without request content. */
export function openHealth(health: ClientHealth): ClientHealth {
  const last = health.lastError;
  if (last === null) return health;
  return { ...health, lastError: { code: last.code, message: REASON[last.code], at: last.at } };
}

/** Every client's health without request content, keyed by name (groups left out). */
export function openHealthOfAll(
  all: Readonly<Record<string, { kind: string }>>,
): Record<string, ClientHealth> {
  const clients = Object.entries(all).filter((e): e is [string, ClientHealth] =>
    isClientHealth(e[1]),
  );
  return Object.fromEntries(clients.map(([name, h]) => [name, openHealth(h)]));
}
