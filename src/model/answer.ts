/**
 * The normalized answer of one upstream call, as providers make it and caches keep it, and the
 * check every cached entry passes when read.
 */
import { containsSecret } from './redact.js';
import { FINISH_REASONS, type Completion } from './request.js';

/** What a cache holds for one request: the Completion without its per-call fields. */
export type CachedCompletion = Omit<Completion, 'client' | 'cacheHit' | 'latencyMs' | 'raw'>;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** True when `value` is a well-formed cached completion. */
export function isCachedCompletion(value: unknown): value is CachedCompletion {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  const usage = c.usage as Record<string, unknown> | null | undefined;
  if (
    typeof c.text !== 'string' ||
    typeof c.model !== 'string' ||
    typeof c.finishReason !== 'string' ||
    !FINISH_REASONS.has(c.finishReason) ||
    typeof usage !== 'object' ||
    usage === null ||
    !isCount(usage.promptTokens) ||
    !isCount(usage.completionTokens) ||
    !isCount(usage.totalTokens)
  ) {
    return false;
  }
  if (c.choices === undefined) return true;
  return (
    Array.isArray(c.choices) &&
    c.choices.every(
      (choice: unknown) =>
        typeof choice === 'object' &&
        choice !== null &&
        typeof (choice as Record<string, unknown>).text === 'string' &&
        FINISH_REASONS.has((choice as Record<string, unknown>).finishReason as string),
    )
  );
}

/**
 * True when an answer quotes one of the client's secrets (an upstream that reflects the key it
 * was sent): such an answer goes back to its caller as it is, but is never cached.
 */
export function quotesSecret(completion: CachedCompletion, secrets: readonly string[]): boolean {
  if (secrets.length === 0) return false;
  if (containsSecret(completion.text, secrets) || containsSecret(completion.model, secrets)) {
    return true;
  }
  return completion.choices?.some((choice) => containsSecret(choice.text, secrets)) ?? false;
}
