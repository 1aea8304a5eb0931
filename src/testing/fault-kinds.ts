/**
 * How the failover faults (see `FailoverFault`) act: which requests a rule applies to, the checks
 * of their parameters, the refused prefill and the reshaped streams (an invalid event inserted, the
 * terminator left out, a pause before the first delta).
 */
import type { ServerResponse } from 'node:http';
import type { FailoverFault } from './fault-types.js';
import { isCount, openAiError, type StreamEvent, type WireFormat } from './formats/index.js';
import { send } from './http.js';
import type { TestChatRequest, TestFault } from './types.js';

/** The failover fault kinds, in the order `stats.faults` lists them (after the basic ones). */
export const FAILOVER_KINDS: readonly FailoverFault['kind'][] = [
  'slow_first_token',
  'stream_stall',
  'bad_event',
  'no_done',
  'refuse_prefill',
];

// Faults that only act on a streamed answer: a request that does not stream skips their rules.
const STREAM_ONLY: ReadonlySet<TestFault['kind']> = new Set([
  'stream_error',
  'stream_cut',
  'slow_first_token',
  'stream_stall',
  'bad_event',
  'no_done',
]);

/**
 * Whether a rule with `fault` applies to `chat`: a stream-only fault needs a stream, a
 * `refuse_prefill` a request whose last message is an assistant turn.
 */
export function faultApplies(fault: TestFault, chat: TestChatRequest): boolean {
  if (STREAM_ONLY.has(fault.kind) && !chat.stream) return false;
  return fault.kind !== 'refuse_prefill' || chat.messages.at(-1)?.role === 'assistant';
}

const isDuration = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Throws `RangeError` when a failover fault's parameters are out of range. */
export function checkFailoverFault(fault: TestFault): void {
  switch (fault.kind) {
    case 'slow_first_token':
      if (!isDuration(fault.ms)) throw new RangeError(`ms must be a non-negative number`);
      return;
    case 'stream_stall':
      if (!isDuration(fault.ms)) throw new RangeError(`ms must be a non-negative number`);
      if (!isCount(fault.afterDeltas, 0)) {
        throw new RangeError(`afterDeltas must be a non-negative integer`);
      }
      return;
    case 'bad_event':
      if (!isCount(fault.index, 1)) throw new RangeError(`index must be a positive integer`);
      return;
    case 'refuse_prefill':
      if (fault.status !== undefined && !(isCount(fault.status, 400) && fault.status <= 599)) {
        throw new RangeError(`status must be an HTTP error status (400-599), got ${fault.status}`);
      }
      return;
    default:
      return;
  }
}

/** Answers a `refuse_prefill` fault: its status, with its `code` on the OpenAI route. */
export function refusePrefill(
  res: ServerResponse,
  format: WireFormat,
  fault: Extract<TestFault, { kind: 'refuse_prefill' }>,
): void {
  const status = fault.status ?? 400;
  const message = 'Injected fault: a request ending with an assistant prefill is refused';
  const body =
    format.name === 'openai'
      ? openAiError(status, message, fault.code ?? 'invalid_prefill')
      : format.errorBody(status, message);
  send(res, status, body);
}

/** The events of a stream as a `bad_event` or `no_done` fault reshapes them; else unchanged. */
export function reshapeStream(
  events: StreamEvent[],
  fault: TestFault | undefined,
  format: WireFormat,
): StreamEvent[] {
  if (fault?.kind === 'bad_event') {
    const at = Math.min(fault.index - 1, Math.max(0, events.length - 1));
    const bad: StreamEvent = { data: format.malformedStream, phase: 'tail' };
    return [...events.slice(0, at), bad, ...events.slice(at)];
  }
  // Ollama's last line carries the finish reason and counts: it has no terminator to leave out.
  if (fault?.kind === 'no_done' && format.name !== 'ollama') return events.slice(0, -1);
  return events;
}

/** The pause before a stream's first content delta that a `slow_first_token` fault asks for. */
export function firstDeltaDelayMs(fault: TestFault | undefined): number {
  return fault?.kind === 'slow_first_token' ? fault.ms : 0;
}
