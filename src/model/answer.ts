/**
 * The normalized answer of one upstream call, as providers make it and caches keep it, and the
 * check every cached entry passes when read.
 */
import type { ReasoningPart } from './chat.js';
import { containsSecret } from './redact.js';
import { FINISH_REASONS, type Choice, type Completion } from './request.js';

/**
 * What a cache holds of one choice: the Choice without its `message` (made from the rest), and
 * the reasoning as the provider's parts (Anthropic thinking blocks with their signatures, which
 * a tool loop must send back as they came) when it gave them.
 */
export type CachedChoice = Omit<Choice, 'message'> & { reasoningParts?: ReasoningPart[] };

/**
 * What a cache holds for one request: the Completion without its per-call fields and without
 * `message`, which is made from the rest when the Completion is.
 */
export type CachedCompletion = Omit<
  Completion,
  'client' | 'cacheHit' | 'latencyMs' | 'raw' | 'message' | 'choices' | 'route'
> & { choices?: CachedChoice[]; reasoningParts?: ReasoningPart[] };

/**
 * A token count a provider reported, or undefined when it is none: not a number, negative, or
 * past 2^53 (a usage of 1e308 summed to Infinity, which broke cost, budgets, health and the
 * gateway's /metrics for good).
 */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER
    ? value
    : undefined;
}

function isCount(v: unknown): v is number {
  return tokenCount(v) !== undefined;
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
  if (!optionalCounts(usage) || !hasValidParts(c)) return false;
  if (c.choices === undefined) return true;
  return (
    Array.isArray(c.choices) &&
    c.choices.every(
      (choice: unknown) =>
        typeof choice === 'object' &&
        choice !== null &&
        typeof (choice as Record<string, unknown>).text === 'string' &&
        FINISH_REASONS.has((choice as Record<string, unknown>).finishReason as string) &&
        hasValidParts(choice as Record<string, unknown>),
    )
  );
}

function optionalCounts(usage: Record<string, unknown>): boolean {
  return (
    (usage.cachedPromptTokens === undefined || isCount(usage.cachedPromptTokens)) &&
    (usage.cacheWriteTokens === undefined || isCount(usage.cacheWriteTokens)) &&
    (usage.reasoningTokens === undefined || isCount(usage.reasoningTokens))
  );
}

/** Tool calls, reasoning and logprobs, when present, have their shapes (`json` is any value). */
function hasValidParts(c: Record<string, unknown>): boolean {
  if (c.reasoning !== undefined && typeof c.reasoning !== 'string') return false;
  if (c.reasoningParts !== undefined && !areReasoningParts(c.reasoningParts)) return false;
  if (
    c.toolCalls !== undefined &&
    !(
      Array.isArray(c.toolCalls) &&
      c.toolCalls.every(
        (t: unknown) =>
          typeof t === 'object' &&
          t !== null &&
          typeof (t as Record<string, unknown>).id === 'string' &&
          typeof (t as Record<string, unknown>).name === 'string' &&
          typeof (t as Record<string, unknown>).arguments === 'string',
      )
    )
  ) {
    return false;
  }
  return (
    c.logprobs === undefined ||
    (Array.isArray(c.logprobs) &&
      c.logprobs.every(
        (l: unknown) =>
          typeof l === 'object' &&
          l !== null &&
          typeof (l as Record<string, unknown>).token === 'string' &&
          typeof (l as Record<string, unknown>).logprob === 'number',
      ))
  );
}

function areReasoningParts(parts: unknown): boolean {
  return (
    Array.isArray(parts) &&
    parts.every((p: unknown) => {
      if (typeof p !== 'object' || p === null) return false;
      const part = p as Record<string, unknown>;
      if (part.type === 'redacted-reasoning') return typeof part.data === 'string';
      return (
        part.type === 'reasoning' &&
        typeof part.text === 'string' &&
        (part.signature === undefined || typeof part.signature === 'string')
      );
    })
  );
}

/**
 * True when an answer quotes one of the client's secrets (an upstream that reflects the key it
 * was sent): such an answer goes back to its caller as it is, but is never cached.
 */
export function quotesSecret(completion: CachedCompletion, secrets: readonly string[]): boolean {
  if (secrets.length === 0) return false;
  if (containsSecret(completion.model, secrets) || quotes(completion, secrets)) return true;
  return completion.choices?.some((choice) => quotes(choice, secrets)) ?? false;
}

function quotes(c: CachedChoice, secrets: readonly string[]): boolean {
  return (
    containsSecret(c.text, secrets) ||
    (c.reasoning !== undefined && containsSecret(c.reasoning, secrets)) ||
    (c.toolCalls?.some((t) => containsSecret(t.arguments, secrets)) ?? false)
  );
}
