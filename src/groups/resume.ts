/**
 * Resuming a group stream cut after its first delta: the next member is asked to continue from
 * the delivered text (an assistant prefill); one that refuses the prefill is asked the original
 * request, and only what extends the delivered text reaches the caller. Never a duplicated delta,
 * never a truncated answer passed off as complete: when nothing can continue it, the original
 * error comes back.
 */
import type { StreamSink } from '../client/flight.js';
import type { StreamChunk } from '../model/chat.js';
import type { LlmActorsError } from '../model/errors.js';
import { aborted } from '../model/failures.js';
import type { ChatMessage, Completion, RequestOptions } from '../model/request.js';
import { addUsd, typed } from './attempt.js';
import type { CallTrace } from './call-trace.js';
import type { Cancellation } from '../policy/cancellation.js';
import { childCancellation, logOf, type GroupContext } from './context.js';
import type { Delivery } from './delivery.js';
import { failoverAction, refusedPrefill } from './failover.js';
import { memberReady, unreadyError } from './ready.js';
import type { RouteLog } from './route.js';

/** What a resume works with: the call's state at the cut. */
export interface ResumeInput {
  ctx: GroupContext;
  messages: ChatMessage[];
  options: RequestOptions | undefined;
  delivery: Delivery;
  /** The members left to try, in order (taken from as they are tried). */
  queue: string[];
  route: RouteLog;
  deadline: number;
  /** Aborted when the caller cancels. */
  cancel: Cancellation;
  /** The error that cut the stream. */
  original: LlmActorsError;
  /** The call's span, when traced: the continuing members run in its context. */
  trace: CallTrace | undefined;
}

/**
 * The delivered text a prefilled member's answer must start with before it is taken for a repeat
 * of it (the member ignored the prefill): shorter, a continuation could start with it by chance.
 */
const MIN_REPEAT_CHARS = 8;

/** How one member's attempt at continuing went. */
interface Outcome {
  completion?: Completion;
  error?: LlmActorsError;
  /** It delivered text before failing: the delivered text has grown. */
  delivered: boolean;
  /** A clean restart whose answer does not start with the delivered text. */
  diverged: boolean;
}

/**
 * Whether a stream cut by `error` after its first delta can be continued elsewhere: the group
 * resumes streams, only text was delivered, the caller is still there, and another member
 * could do better than the one that failed.
 */
export function resumable(
  ctx: GroupContext,
  delivery: Delivery,
  cancel: Cancellation,
  error: LlmActorsError,
): boolean {
  return (
    ctx.group.resumeStreams &&
    delivery.plain &&
    !cancel.aborted &&
    failoverAction(error) === 'failover'
  );
}

/** Continues a cut stream on the members left; the Completion carries the whole text. */
export async function resumeStream(input: ResumeInput): Promise<Completion> {
  const { ctx, queue, route, cancel } = input;
  let original = input.original;
  // A failover counts when the next member is asked, not when there may be none left.
  let movedOn = false;
  logOf(ctx, original.client ?? ctx.group.members[0]!.client).debug(
    { group: ctx.group.name, code: original.code, delivered: input.delivery.text.length },
    'resuming a cut stream',
  );
  while (queue.length > 0) {
    if (cancel.aborted) throw aborted(ctx.group.name);
    const client = queue.shift()!;
    const now = ctx.clock.now();
    const entry = ctx.entry(client);
    if (!memberReady(entry, now)) {
      route.add(client, unreadyError(entry, now).code, 0);
      continue;
    }
    if (input.deadline <= now) break;
    if (movedOn) ctx.stats.failedOver();
    let outcome = await attempt(input, client, 'prefill');
    if (!outcome.completion && !outcome.delivered && refusedPrefill(outcome.error!)) {
      outcome = await attempt(input, client, 'restart');
      if (outcome.diverged) throw original;
    }
    if (outcome.completion) return outcome.completion;
    const error = outcome.error!;
    if (cancel.aborted) throw error;
    if (outcome.delivered) original = error;
    if (failoverAction(error) !== 'failover') throw original;
    movedOn = true;
  }
  throw original;
}

/**
 * One member's attempt: `prefill` asks it to continue the delivered text; `restart` asks the
 * original request and passes on only what comes after the delivered text.
 */
async function attempt(
  input: ResumeInput,
  client: string,
  mode: 'prefill' | 'restart',
): Promise<Outcome> {
  const { ctx, delivery, route } = input;
  const base = delivery.text;
  // Sent without its trailing whitespace (Anthropic refuses a prefill that ends with some, and
  // models continue a word better than a space); the continuation's leading whitespace, which
  // the caller has had already, is left out.
  const prefill = base.trimEnd();
  let leading = mode === 'prefill' && prefill.length < base.length;
  const messages: ChatMessage[] =
    mode === 'prefill'
      ? [...input.messages, { role: 'assistant', content: prefill }]
      : input.messages;
  const { cancel, release } = childCancellation(input.cancel);
  const started = ctx.clock.now();
  const outcome: Outcome = { delivered: false, diverged: false };
  let paidUsd: number | undefined;
  let buffered = '';
  // A prefilled member may ignore the prefill and answer from the start: its text is held until
  // it is seen to continue (or to repeat the delivered text, which is then left out).
  let passed = mode === 'prefill' && base.length < MIN_REPEAT_CHARS;
  const diverge = () => {
    outcome.diverged = true;
    cancel.abort(undefined);
    return true;
  };
  const deliver = (chunk: StreamChunk) => {
    if (!outcome.delivered) delivery.answeredBy(client);
    outcome.delivered ||= chunk.text !== '';
    return delivery.forward(chunk);
  };
  /** A prefilled member's text until it tells a continuation from a repeat of `base`. */
  const probe = (chunk: StreamChunk): boolean => {
    const plain = chunk.toolCall === undefined && chunk.choice === undefined;
    if (plain && chunk.reasoning === undefined && chunk.text === '') return true;
    if (plain && chunk.reasoning === undefined) {
      buffered += chunk.text;
      if (buffered.length < base.length && base.startsWith(buffered)) return true;
    }
    passed = true;
    const held = buffered.length >= base.length && buffered.startsWith(base);
    const rest = held ? buffered.slice(base.length) : buffered;
    const kept = rest === '' || deliver({ text: rest });
    return plain && chunk.reasoning === undefined ? kept : deliver(chunk) && kept;
  };
  const sink: StreamSink = {
    delta(chunk) {
      if (outcome.diverged) return true;
      if (leading && chunk.text !== '') {
        const text = chunk.text.trimStart();
        if (text === '') return true;
        leading = false;
        if (text !== chunk.text) chunk = { ...chunk, text };
      }
      if (passed) return deliver(chunk);
      if (mode === 'prefill') return probe(chunk);
      if (chunk.toolCall !== undefined || chunk.choice !== undefined) return diverge();
      // Reasoning of a restarted answer was not part of what the caller saw: left out.
      if (chunk.text === '') return true;
      buffered += chunk.text;
      if (buffered.length <= base.length) return base.startsWith(buffered) || diverge();
      if (!buffered.startsWith(base)) return diverge();
      passed = true;
      return deliver({ text: buffered.slice(base.length) });
    },
    onDrain: (drain) => delivery.onDrain(drain),
    onCancel: (stop) => cancel.onAbort(stop),
    paid: (_usage, costUsd) => {
      paidUsd = addUsd(paidUsd, costUsd);
      ctx.stats.paid(costUsd);
    },
  };
  const deadline = Math.min(
    started + ctx.entry(client).spec.config.timeoutMs,
    Math.max(input.deadline, started + 1),
  );
  const call = () => ctx.call(client, messages, input.options, sink, cancel, deadline);
  const trace = input.trace;
  try {
    const c = await (trace === undefined ? call() : trace.resume(client, base.length, mode, call));
    ctx.stats.paid(c.costUsd);
    route.add(client, undefined, ctx.clock.now() - started, c.costUsd);
    if (mode === 'restart' && !c.text.startsWith(base)) {
      return { ...outcome, diverged: true };
    }
    // Ended while it still read as the start of the delivered text: a continuation after all.
    if (!passed && mode === 'prefill' && buffered !== '') deliver({ text: buffered });
    const text = delivery.text;
    return { ...outcome, completion: { ...c, text, message: { ...c.message, content: text } } };
  } catch (thrown) {
    const error = typed(client, thrown);
    route.add(client, error.code, ctx.clock.now() - started, paidUsd);
    return { ...outcome, error };
  } finally {
    release();
  }
}
