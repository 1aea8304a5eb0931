/**
 * A client's daily spending against its budget. It belongs to the client entry (it outlives
 * restarts); in a fleet it also holds the totals last read from Redis, which include what
 * every process has spent.
 */
import { DAY_MS, dayOf, type BudgetConfig, type Spent } from '../config/budget.js';
import type { Clock } from '../model/clock.js';
import type { LlmActorsError } from '../model/errors.js';
import { budgetExceeded } from '../model/failures.js';

/** The budget part of a health snapshot. */
export interface BudgetHealth {
  /** What today (UTC) has cost so far: this process's, or the fleet's when shared. */
  spent: Spent;
  /** What is left today (absent for a limit not set); never below 0. */
  left: { usd?: number; tokens?: number };
  /** When today's spending starts again from zero (the next UTC midnight), epoch ms. */
  resetAt: number;
}

/** One client's spending of the current UTC day. */
export class Budget {
  private day = -1;
  private local: Spent = { usd: 0, tokens: 0 };
  private fleet: Spent | undefined;
  /** Where each spending also goes (the fleet's Redis, while a client incarnation shares it). */
  forward: ((day: number, spent: Spent) => void) | undefined;

  constructor(
    private readonly client: string,
    readonly config: BudgetConfig,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  /** Counts what a request paid upstream, on the day it was paid. */
  spend(usd: number, tokens: number): void {
    this.roll(this.clock.now());
    this.local.usd += usd;
    this.local.tokens += tokens;
    this.forward?.(this.day, { usd, tokens });
    if (this.fleet !== undefined) {
      this.fleet.usd += usd;
      this.fleet.tokens += tokens;
    }
  }

  /** The current UTC day's number. */
  today(): number {
    return dayOf(this.clock.now());
  }

  /** The fleet's totals for `day` as Redis has them now. */
  seen(day: number, totals: Spent): void {
    this.roll(day * DAY_MS);
    if (day === this.day) this.fleet = totals;
  }

  /** BUDGET_EXCEEDED when a request starting now would start at or past a limit. */
  check(): LlmActorsError | undefined {
    const now = this.clock.now();
    this.roll(now);
    const spent = this.spent();
    const { usdPerDay, tokensPerDay } = this.config;
    const resetAt = (this.day + 1) * DAY_MS;
    if (usdPerDay !== undefined && spent.usd >= usdPerDay) {
      return budgetExceeded(this.client, 'usdPerDay', roundUsd(spent.usd), usdPerDay, resetAt, now);
    }
    if (tokensPerDay !== undefined && spent.tokens >= tokensPerDay) {
      return budgetExceeded(this.client, 'tokensPerDay', spent.tokens, tokensPerDay, resetAt, now);
    }
    return undefined;
  }

  /** Spent, left and reset time, as of now. */
  health(): BudgetHealth {
    this.roll(this.clock.now());
    const spent = this.spent();
    const left: BudgetHealth['left'] = {};
    const { usdPerDay, tokensPerDay } = this.config;
    if (usdPerDay !== undefined) left.usd = roundUsd(Math.max(0, usdPerDay - spent.usd));
    if (tokensPerDay !== undefined) left.tokens = Math.max(0, tokensPerDay - spent.tokens);
    return {
      spent: { usd: roundUsd(spent.usd), tokens: spent.tokens },
      left,
      resetAt: (this.day + 1) * DAY_MS,
    };
  }

  private spent(): Spent {
    const fleet = this.fleet;
    if (fleet === undefined) return this.local;
    // The fleet's totals include this process's, unless Redis missed some of them.
    return {
      usd: Math.max(fleet.usd, this.local.usd),
      tokens: Math.max(fleet.tokens, this.local.tokens),
    };
  }

  /** A new UTC day starts from zero. */
  private roll(at: number): void {
    const day = dayOf(at);
    if (day <= this.day) return;
    this.day = day;
    this.local = { usd: 0, tokens: 0 };
    this.fleet = undefined;
  }
}

/** USD to a millionth of a cent: sums of floats show no 0.30000000000000004 in health. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e8) / 1e8;
}
