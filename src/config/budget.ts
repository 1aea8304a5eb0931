/**
 * A client's daily budget: what it may spend per UTC day, in USD and in tokens, alone or with
 * its whole fleet through Redis.
 */
import { z } from 'zod';
import { sharedRedis } from './fields.js';

/** Limits per UTC day; a request that would start at or past one fails with BUDGET_EXCEEDED. */
export interface BudgetConfig {
  /** USD per UTC day (needs the client's `pricing`). */
  usdPerDay?: number;
  /** Tokens (input and output, as paid upstream) per UTC day. */
  tokensPerDay?: number;
  /**
   * Counts the spending of every process that shares `url` (a Redis per-day key per client).
   * Redis down: each process goes on with what it has seen itself.
   */
  shared?: { url: string };
}

/** The schema of `budget`. */
export const budgetSchema = z
  .strictObject({
    usdPerDay: z.number({ error: 'expected a non-negative finite number' }).min(0).optional(),
    tokensPerDay: z.number().int().min(0).optional(),
    shared: sharedRedis(),
  })
  .refine((b) => b.usdPerDay !== undefined || b.tokensPerDay !== undefined, {
    error: 'expected usdPerDay or tokensPerDay (or both)',
  });

/** What a day has cost, in USD and tokens. */
export interface Spent {
  usd: number;
  tokens: number;
}

/** One UTC day in ms. */
export const DAY_MS = 86_400_000;

/** The UTC day `at` (epoch ms) falls in, as a day number. */
export function dayOf(at: number): number {
  return Math.floor(at / DAY_MS);
}
