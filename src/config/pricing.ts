/**
 * A client's price table and the cost of one answer's usage. Prices are USD per million tokens,
 * as providers publish them.
 */
import { z } from 'zod';
import type { Usage } from '../model/request.js';

/** USD per million tokens (every field a non-negative finite number). */
export interface Pricing {
  /** Input tokens neither read from nor written to the provider's prompt cache. */
  inputPerMTok: number;
  /** Output tokens, reasoning tokens included (providers bill them as output). */
  outputPerMTok: number;
  /** Input tokens read from the provider's prompt cache. Default: `inputPerMTok`. */
  cachedInputPerMTok?: number;
  /** Input tokens written to the provider's prompt cache (Anthropic). Default: `inputPerMTok`. */
  cacheWritePerMTok?: number;
}

const rate = z.number({ error: 'expected a non-negative finite number' }).min(0);

/** The schema of `pricing` (checked once, with the rest of the client's config). */
export const pricingSchema = z.strictObject({
  inputPerMTok: rate,
  outputPerMTok: rate,
  cachedInputPerMTok: rate.optional(),
  cacheWritePerMTok: rate.optional(),
});

/**
 * What `usage` cost at `pricing`, in USD. `promptTokens` counts every input token, cached or not
 * (the providers' usage is normalized that way: OpenAI's `prompt_tokens` already includes its
 * cached tokens; Anthropic's `input_tokens` leaves cache reads and writes out, and they are added
 * back), so the tokens billed at the plain input rate are what is left once the cache reads and
 * writes are taken out. `completionTokens` already includes reasoning tokens.
 *
 * @example
 * ```ts
 * // 1 000 prompt tokens of which 800 cached, 200 output; $2.50 / $1.25 / $10 per MTok:
 * costUsd({ promptTokens: 1000, cachedPromptTokens: 800, completionTokens: 200, totalTokens: 1200 },
 *   { inputPerMTok: 2.5, cachedInputPerMTok: 1.25, outputPerMTok: 10 }); // 0.0005 + 0.001 + 0.002
 * ```
 */
export function costUsd(usage: Usage, pricing: Pricing): number {
  const cached = usage.cachedPromptTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  const plain = Math.max(0, usage.promptTokens - cached - written);
  const input = pricing.inputPerMTok;
  const micro =
    plain * input +
    cached * (pricing.cachedInputPerMTok ?? input) +
    written * (pricing.cacheWritePerMTok ?? input) +
    usage.completionTokens * pricing.outputPerMTok;
  return micro / 1_000_000;
}
