/**
 * The common group call made as cheap as the client's own: a plain (not streamed) call with no
 * tracer, no hedge and every member ready goes straight to its first member, the answer chained
 * on that member's promise. Only when that member fails does a {@link GroupCall} take over, from
 * where the call stands.
 */
import { tracingOn } from '../observe/tracing.js';
import type { ChatMessage, Completion, RequestOptions } from '../model/request.js';
import { typed } from './attempt.js';
import { GroupCall } from './call.js';
import type { GroupContext } from './context.js';
import { memberReady } from './ready.js';
import { orderMembers } from './strategies.js';

/**
 * The call on the direct path, or undefined when it needs the whole machinery: a stream, a
 * hedge, a tracer, a cancelled caller, or a member that cannot answer now (skipped, and its
 * probe hastened, by the {@link GroupCall}).
 */
export function directCall(
  ctx: GroupContext,
  messages: ChatMessage[],
  options: RequestOptions | undefined,
): Promise<Completion> | undefined {
  if (ctx.group.hedge !== undefined || options?.signal?.aborted === true || tracingOn()) {
    return undefined;
  }
  const now = ctx.clock.now();
  const order = orderMembers(ctx, false);
  for (const client of order) if (!memberReady(ctx.entry(client), now)) return undefined;
  const client = order[0]!;
  ctx.stats.requests.total++;
  const deadline = now + (options?.timeoutMs ?? ctx.group.timeoutMs);
  const own = now + ctx.entry(client).spec.config.timeoutMs;
  // No cancellation of its own: the caller's signal reaches the member through its options.
  return ctx.call(client, messages, options, undefined, undefined, Math.min(own, deadline)).then(
    (completion) => answered(ctx, client, now, completion),
    (error: unknown) =>
      new GroupCall(ctx, messages, options, undefined, now).after(order, typed(client, error)),
  );
}

/** The first member answered: the call's answer, with its route of one. */
function answered(
  ctx: GroupContext,
  client: string,
  startedAt: number,
  completion: Completion,
): Completion {
  const { stats } = ctx;
  const ms = ctx.clock.now() - startedAt;
  stats.paid(completion.costUsd);
  stats.sample(client, 'request', ms);
  stats.succeeded(ms);
  const attempt =
    completion.costUsd === undefined ? { client, ms } : { client, ms, costUsd: completion.costUsd };
  completion.route = { group: ctx.group.name, attempts: [attempt] };
  return completion;
}
