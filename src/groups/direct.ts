/**
 * The common group call made as cheap as the client's own: with no tracer, no hedge and every
 * member ready, the call goes straight to its first member and its answer is chained on that
 * member's promise; a stream's chunks pass through one small sink. Only when that member fails
 * does a {@link GroupCall} take over, from where the call stands (before or after the stream
 * reached the caller).
 */
import type { StreamSink } from '../client/flight.js';
import type { StreamChunk } from '../model/chat.js';
import type { LlmActorsError } from '../model/errors.js';
import type { ChatMessage, Completion, RequestOptions, Usage } from '../model/request.js';
import { tracingOn } from '../observe/tracing.js';
import { addUsd, typed } from './attempt.js';
import { GroupCall } from './call.js';
import type { GroupContext } from './context.js';
import { Delivery } from './delivery.js';
import { memberReady } from './ready.js';
import { orderMembers } from './strategies.js';

/**
 * A call to a group: on the direct path, or through a whole {@link GroupCall} when it needs one
 * — a hedge, a tracer, a cancelled caller, or a member that cannot answer now (skipped, and its
 * probe hastened, by the GroupCall, in the order already drawn).
 */
export function groupCall(
  ctx: GroupContext,
  messages: ChatMessage[],
  options: RequestOptions | undefined,
  sink: StreamSink | undefined,
): Promise<Completion> {
  if (ctx.group.hedge !== undefined || options?.signal?.aborted === true || tracingOn()) {
    return new GroupCall(ctx, messages, options, sink && new Delivery(sink)).run();
  }
  const now = ctx.clock.now();
  const order = orderMembers(ctx, sink !== undefined);
  for (const client of order) {
    if (!memberReady(ctx.entry(client), now)) {
      return new GroupCall(ctx, messages, options, sink && new Delivery(sink)).run(order);
    }
  }
  const client = order[0]!;
  ctx.stats.requests.total++;
  const deadline = Math.min(
    now + (options?.timeoutMs ?? ctx.group.timeoutMs),
    now + ctx.entry(client).spec.config.timeoutMs,
  );
  // No cancellation of its own: the caller's signal (and a stream's cancel) reach the member.
  if (sink === undefined) {
    return ctx.call(client, messages, options, undefined, undefined, deadline).then(
      (completion) => answered(ctx, client, now, completion),
      (error: unknown) =>
        new GroupCall(ctx, messages, options, undefined, now).after(order, typed(client, error)),
    );
  }
  const member = new DirectStream(ctx, client, now, new Delivery(sink));
  return ctx.call(client, messages, options, member, undefined, deadline).then(
    (completion) => member.answered(completion),
    (error: unknown) => member.failed(order, messages, options, typed(client, error)),
  );
}

/**
 * The sink of a stream on the direct path: the member's chunks go to the caller, the first one
 * committing the call to it, as a {@link GroupCall} would.
 */
class DirectStream implements StreamSink {
  private committed = false;
  /** What a failed stream of the member was billed, USD. */
  private costUsd: number | undefined;

  constructor(
    private readonly ctx: GroupContext,
    private readonly client: string,
    private readonly startedAt: number,
    private readonly delivery: Delivery,
  ) {}

  delta(chunk: StreamChunk): boolean {
    if (!this.committed) this.commit();
    return this.delivery.forward(chunk);
  }

  onDrain(drain: () => void): void {
    this.delivery.onDrain(drain);
  }

  onCancel(stop: () => void): void {
    this.delivery.onCancel(stop);
  }

  paid(_usage: Usage, costUsd: number | undefined): void {
    this.costUsd = addUsd(this.costUsd, costUsd);
    this.ctx.stats.paid(costUsd);
  }

  answered(completion: Completion): Completion {
    // A stream whose answer had no delta at all (an empty text) commits when it ends.
    if (!this.committed) this.commit();
    return answered(this.ctx, this.client, this.startedAt, completion);
  }

  failed(
    order: readonly string[],
    messages: ChatMessage[],
    options: RequestOptions | undefined,
    error: LlmActorsError,
  ): Promise<Completion> {
    const call = new GroupCall(this.ctx, messages, options, this.delivery, this.startedAt);
    return call.after(order, error, this.committed, this.costUsd);
  }

  private commit(): void {
    this.committed = true;
    this.delivery.answeredBy(this.client);
    const ms = this.ctx.clock.now() - this.startedAt;
    this.ctx.stats.sample(this.client, 'firstToken', ms);
  }
}

/** The first member answered: the call's answer, with its route of one. */
function answered(
  ctx: GroupContext,
  client: string,
  startedAt: number,
  completion: Completion,
): Completion {
  const { stats } = ctx;
  const now = ctx.clock.now();
  const ms = now - startedAt;
  stats.paid(completion.costUsd);
  stats.sample(client, 'request', ms, now);
  stats.succeeded(ms, now);
  const attempt =
    completion.costUsd === undefined ? { client, ms } : { client, ms, costUsd: completion.costUsd };
  completion.route = { group: ctx.group.name, attempts: [attempt] };
  return completion;
}
