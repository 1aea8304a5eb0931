/**
 * The caller's Completion, made from a flight's answer or a cached entry.
 */
import type { CachedCompletion } from '../model/answer.js';
import type { Completion } from '../model/request.js';

/**
 * A fresh Completion for one caller: usage and choices are copied, since `value` may be the
 * cache's own entry. `raw` goes only to the caller whose call was paid for.
 */
export function completionOf(
  value: CachedCompletion,
  client: string,
  cacheHit: boolean,
  latencyMs: number,
  raw: unknown,
): Completion {
  const completion: Completion = {
    text: value.text,
    finishReason: value.finishReason,
    usage: { ...value.usage },
    model: value.model,
    client,
    cacheHit,
    latencyMs,
  };
  if (value.choices !== undefined) completion.choices = value.choices.map((c) => ({ ...c }));
  if (raw !== undefined) completion.raw = raw;
  return completion;
}
