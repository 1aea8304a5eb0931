import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { isCount, statusMessage, type WireFormat } from './formats/index.js';
import { checkFailoverFault, FAILOVER_KINDS, faultApplies, refusePrefill } from './fault-kinds.js';
import { isJson, send } from './http.js';
import type { StreamBreak } from './stream.js';
import type { FaultRule, TestChatRequest, TestFault } from './types.js';

/** A fault kind, as counted in `stats.faults`. */
export type FaultKind = TestFault['kind'];

/** Every fault kind, in the order `stats.faults` lists them. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'status',
  'reset',
  'hang',
  'malformed',
  'truncated',
  'latency',
  'trickle',
  'stream_error',
  'stream_cut',
  ...FAILOVER_KINDS,
];

const MALFORMED = '{"id":"chatcmpl-malformed","object":"chat.completion","choices":[{';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The ordered fault rules of one server, with their seeded RNG and hit counters. */
export class FaultRules {
  // `until`: when a `forMs` rule ends, on the `now` clock.
  #rules: Array<FaultRule & { until?: number }> = [];
  #random = mulberry32(1);
  readonly #hits = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  readonly #now: () => number;

  /** `now`: the clock `forMs` rules are timed on, epoch ms. */
  constructor(now: () => number) {
    this.#now = now;
  }

  /** Validates and appends a rule; throws `RangeError` on invalid options. */
  add(fault: TestFault, options: { times?: number; probability?: number; forMs?: number }): void {
    const { times, probability, forMs } = options;
    if (times !== undefined && !isCount(times, 1)) {
      throw new RangeError(`times must be a positive integer, got ${times}`);
    }
    if (probability !== undefined && !(probability >= 0 && probability <= 1)) {
      throw new RangeError(`probability must be between 0 and 1, got ${probability}`);
    }
    if (forMs !== undefined && !(Number.isFinite(forMs) && forMs > 0)) {
      throw new RangeError(`forMs must be a positive number, got ${forMs}`);
    }
    const cut = fault.kind === 'stream_error' || fault.kind === 'stream_cut';
    if (cut && !isCount(fault.afterDeltas, 0)) {
      throw new RangeError(`afterDeltas must be a non-negative integer`);
    }
    checkFailoverFault(fault);
    const until = forMs === undefined ? undefined : this.#now() + forMs;
    this.#rules.push({ fault, times, probability, forMs, until });
  }

  /** Removes every rule. */
  clear(): void {
    this.#rules = [];
  }

  /** Reseeds the RNG of probability rules. */
  seed(n: number): void {
    this.#random = mulberry32(n);
  }

  /** A copy of the hit counters. */
  hits(): Record<FaultKind, number> {
    return { ...this.#hits };
  }

  /**
   * Returns the fault of the first rule that applies, counting the hit and using up one of its
   * `times`; rules past their `forMs` are dropped first. Rules that do not apply to `chat` (a
   * stream-only rule and a request that does not stream, a `refuse_prefill` and a request without
   * a prefill) are skipped without an RNG draw, so they wait for a request they apply to and
   * seeded sequences stay reproducible.
   */
  pick(chat: TestChatRequest): TestFault | undefined {
    const now = this.#now();
    this.#rules = this.#rules.filter((rule) => rule.until === undefined || rule.until > now);
    const index = this.#rules.findIndex(
      (rule) =>
        faultApplies(rule.fault, chat) &&
        (rule.probability === undefined || this.#random() < rule.probability),
    );
    const rule = this.#rules[index];
    if (!rule) return undefined;
    if (rule.times !== undefined && --rule.times === 0) this.#rules.splice(index, 1);
    this.#hits[rule.fault.kind]++;
    return rule.fault;
  }
}

/** Answers a `status` fault: the route's error shape unless the fault brings its own body. */
function sendStatusFault(
  res: ServerResponse,
  format: WireFormat,
  fault: Extract<TestFault, { kind: 'status' }>,
): void {
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
  const message = statusMessage(fault.status, STATUS_CODES[fault.status]);
  const body = fault.body ?? format.errorBody(fault.status, message);
  if (!isJson(body)) headers['content-type'] = 'text/plain; charset=utf-8';
  send(res, fault.status, body, headers);
}

/**
 * Acts out the faults that come before any answer: a status, a reset, a hang, a malformed body
 * or a latency. `sleep` must resolve false once the response or the server closes. Resolves true
 * when the request goes on to its answer.
 */
export async function faultBeforeAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  format: WireFormat,
  streaming: boolean,
  fault: TestFault | undefined,
  sleep: (ms: number) => Promise<boolean>,
): Promise<boolean> {
  switch (fault?.kind) {
    case 'status':
      sendStatusFault(res, format, fault);
      return false;
    case 'reset':
      req.socket.resetAndDestroy();
      return false;
    case 'hang':
      return false;
    case 'refuse_prefill':
      refusePrefill(res, format, fault);
      return false;
    case 'malformed':
      if (!streaming) {
        send(res, 200, MALFORMED);
        return false;
      }
      res.writeHead(200, { 'content-type': format.streamType });
      res.end(format.malformedStream);
      return false;
    case 'latency':
      return sleep(fault.ms);
    default:
      return true;
  }
}

/** The stream break a fault asks for; `truncated` on a stream cuts it after half the deltas. */
export function streamBreak(
  fault: TestFault | undefined,
  format: WireFormat,
  deltas: number,
): StreamBreak | undefined {
  if (fault?.kind === 'truncated') return { kind: 'stream_cut', afterDeltas: deltas >> 1 };
  if (fault?.kind === 'stream_cut' || fault?.kind === 'stream_stall') return fault;
  if (fault?.kind !== 'stream_error') return undefined;
  return { kind: 'stream_error', afterDeltas: fault.afterDeltas, event: format.streamError };
}
