/**
 * Health as the gateway's open views show it (`/health`, `/health/<name>`, `/events` and so the
 * dashboard — none needs a key): the same snapshot, groups included, with each client's last
 * error and last cause (and each group's last error) reduced to their code, time and a fixed reason, plus what the runtime itself wrote of them —
 * the HTTP status, the system error code of a network failure (ECONNREFUSED). An upstream's
 * error message may quote the request (vLLM's validation errors do), and request content must
 * not reach a page anyone can open. The full message stays in `runtime.health()` and in the
 * answer to the caller who sent the request.
 */
import type { ErrorCode } from '../model/errors.js';
import type { Health } from '../groups/dispatcher.js';
import { isClientHealth } from '../observe/health.js';
import type { LastError } from '../observe/stats.js';

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

// A system error code as node names it (ECONNREFUSED, ETIMEDOUT, UND_ERR_SOCKET), which the
// runtime writes into a NETWORK_ERROR's message; the rest of that message is not shown.
const SYSTEM_CODE = /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+|ERR_[A-Z_]+)\b/;

/** `last` with its message replaced by the fixed reason and the details the runtime wrote. */
function openLast(last: LastError | null | undefined): LastError | null {
  if (!last) return null;
  const system = last.code === 'NETWORK_ERROR' ? SYSTEM_CODE.exec(last.message)?.[1] : undefined;
  const detail = last.status !== undefined ? `HTTP ${last.status}` : system;
  const open: LastError = { ...last, message: REASON[last.code] };
  if (detail !== undefined) open.message += ` (${detail})`;
  return open;
}

/** One client's or group's health without request content. */
export function openHealth<H extends Health>(health: H): H {
  if (!isClientHealth(health)) {
    return health.lastError ? { ...health, lastError: openLast(health.lastError) } : health;
  }
  if (!health.lastError && !health.lastCause) return health;
  return {
    ...health,
    lastError: openLast(health.lastError),
    lastCause: openLast(health.lastCause),
  };
}

/** Every client's and group's health without request content, keyed by name. */
export function openHealthOfAll(all: Readonly<Record<string, Health>>): Record<string, Health> {
  return Object.fromEntries(Object.entries(all).map(([name, h]) => [name, openHealth(h)]));
}
