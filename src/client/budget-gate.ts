/**
 * The budget stage of the attempt path, outermost: a flight that would start with the day's
 * budget spent fails with BUDGET_EXCEEDED before any lock or attempt. With a fleet-wide budget
 * it first reads what the fleet has spent today (one Redis round trip, bounded by the link).
 */
import type { BudgetLink } from '../fleet/budget-link.js';
import type { Budget } from '../observe/budget.js';
import type { Fault, Stage } from './attempts.js';

/** Refuses flights while the budget is spent. */
export function budgetGate(budget: Budget, link: BudgetLink | undefined, onFault: Fault): Stage {
  return (next) => (flight, handler) => {
    if (link === undefined) {
      const over = budget.check();
      if (over === undefined) next(flight, handler);
      else handler.onFailure(flight, over);
      return;
    }
    const day = budget.today();
    link
      .read(day)
      .then((fleet) => {
        if (fleet !== undefined) budget.seen(day, fleet);
        const over = budget.check();
        if (over === undefined) next(flight, handler);
        else handler.onFailure(flight, over);
      })
      .catch(onFault);
  };
}
