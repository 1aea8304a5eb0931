/**
 * failoverbench's scoring: pass (the caller gets the whole answer), safe (a bounded clean error),
 * fail (a hang, a check broken, or a truncated answer presented as complete). Pure: it scores what
 * a runner observed, so a script and a test score alike.
 */
import {
  FAILOVERBENCH_ANSWER,
  FAILOVERBENCH_MODELS,
  type FailoverbenchCell,
} from './failoverbench.js';
import { countWords } from './formats/index.js';

/** What the caller saw of one streamed call. */
export interface FailoverbenchCall {
  /** When the call started, ms after the cell started. */
  startMs: number;
  /** How long it took, ms (to the end of the stream, its error, or its abandonment). */
  ms: number;
  /** The text of every content delta, joined. */
  text: string;
  /** Whether the stream ended without an error (the caller would take the answer as complete). */
  completed: boolean;
  /** Whether the runner gave up on it at the cell's bound. */
  abandoned: boolean;
  /** The last chunk's `model`. */
  model?: string;
  finishReason?: string | null;
  /** The usage chunk, when one came. */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** The error the caller got: HTTP status and OpenAI error code when it had them. */
  error?: { status?: number; code?: string | null; message: string };
}

/** The fields of an OpenAI chat completion chunk that {@link seeFailoverbenchChunk} reads. */
export interface FailoverbenchChunk {
  model: string;
  choices: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: FailoverbenchCall['usage'] | null;
}

/**
 * Adds one streamed chunk to what the caller saw: its text, the last `model`, the finish
 * reason and the usage, as every runner of the bench (the script, the tests) reads them.
 */
export function seeFailoverbenchChunk(
  seen: Pick<FailoverbenchCall, 'text' | 'model' | 'finishReason' | 'usage'>,
  chunk: FailoverbenchChunk,
): void {
  seen.model = chunk.model;
  const choice = chunk.choices[0];
  seen.text += choice?.delta?.content ?? '';
  if (choice?.finish_reason) seen.finishReason = choice.finish_reason;
  if (chunk.usage) seen.usage = chunk.usage;
}

/** Everything observed during one cell. */
export interface FailoverbenchObservation {
  calls: FailoverbenchCall[];
  /** Chat requests each server received. */
  primaryRequests: number;
  fallbackRequests: number;
}

/** A cell's score and why. */
export interface FailoverbenchScore {
  score: 'pass' | 'safe' | 'fail';
  reason: string;
}

/** `status code: message`, without the status twice (the openai client's messages start with it). */
function describeError(e: FailoverbenchCall['error']): string {
  if (e === undefined) return 'no error';
  const prefix = `${e.status} `;
  const message = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
  return `${[e.status, e.code].filter(Boolean).join(' ')}: ${message}`;
}

/** Why a completed call's answer is not the whole answer, if it is not. */
function answerFault(call: FailoverbenchCall): string | undefined {
  if (call.text === FAILOVERBENCH_ANSWER) return undefined;
  const words = countWords(call.text);
  return `an answer of ${words} of 60 tokens presented as complete (${call.text.length} chars)`;
}

/** Cell 16: the answer must name the fallback's model and carry its usage. */
function fallbackFault(call: FailoverbenchCall): string | undefined {
  if (call.model !== FAILOVERBENCH_MODELS.fallback) {
    return `the answer names model ${call.model ?? '(none)'}, not the fallback's`;
  }
  if (call.usage?.completion_tokens !== 60) {
    return `the usage is ${JSON.stringify(call.usage ?? null)}, not the fallback's 60 tokens`;
  }
  return undefined;
}

/** Cell 15: after the outage, traffic must be back on the primary within `withinMs`. */
function recoveryFault(cell: FailoverbenchCell, calls: FailoverbenchCall[]): string | undefined {
  const { outageMs, withinMs } = cell.recovery!;
  const last = calls.findLastIndex((c) => c.model !== FAILOVERBENCH_MODELS.primary);
  const back = calls[last + 1];
  if (back === undefined) return 'the last call was not served by the primary';
  if (back.startMs > outageMs + withinMs) {
    return `back on the primary ${Math.round(back.startMs - outageMs)} ms after its recovery`;
  }
  return undefined;
}

/**
 * Scores a cell. A call past the cell's bound or a whole answer that is not whole fails it first;
 * then cell 13 passes on errors after exactly one upstream request; the others pass when every
 * call got the whole answer (and, cell 15, the primary is back in time; cell 16, the fallback's
 * model and usage are shown), and are safe when some call got a bounded clean error instead.
 */
export function scoreFailoverbench(
  cell: FailoverbenchCell,
  observed: FailoverbenchObservation,
): FailoverbenchScore {
  const { calls } = observed;
  for (const [i, call] of calls.entries()) {
    const which = calls.length > 1 ? `call ${i + 1}: ` : '';
    if (call.abandoned || call.ms > cell.boundMs) {
      return { score: 'fail', reason: `${which}no outcome within ${cell.boundMs} ms` };
    }
    if (!call.completed) continue;
    if (cell.expect === 'error') {
      return { score: 'fail', reason: `${which}answered a request every provider refuses` };
    }
    const fault = answerFault(call) ?? (cell.n === 16 ? fallbackFault(call) : undefined);
    if (fault) return { score: 'fail', reason: which + fault };
  }
  const failed = calls.filter((c) => !c.completed);
  const slowest = Math.round(Math.max(...calls.map((c) => c.ms)));
  if (cell.expect === 'error') {
    const attempts = observed.primaryRequests + observed.fallbackRequests;
    const reason = `${describeError(failed[0]!.error)}; ${attempts} upstream request(s)`;
    return { score: attempts === 1 ? 'pass' : 'safe', reason };
  }
  if (failed.length > 0) {
    const counted = calls.length > 1 ? `${failed.length} of ${calls.length} calls: ` : '';
    return { score: 'safe', reason: `${counted}${describeError(failed[0]!.error)}` };
  }
  const late = cell.recovery ? recoveryFault(cell, calls) : undefined;
  if (late) return { score: 'fail', reason: late };
  const served = calls.map((c) => c.model ?? '?');
  return {
    score: 'pass',
    reason: `whole answer in ${slowest} ms from ${[...new Set(served)].join(', ')}`,
  };
}
