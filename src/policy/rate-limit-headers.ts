/**
 * When a 429 says the provider will take requests again: the rate-limit reset headers of
 * OpenAI (`x-ratelimit-reset-requests: 1s`, `x-ratelimit-reset-tokens: 6m0s`) and Anthropic
 * (`anthropic-ratelimit-requests-reset: <RFC 3339 time>`), besides Retry-After.
 */

type Headers = Record<string, string | string[] | undefined>;

/** The budgets whose reset the providers name, with their remaining count beside. */
const BUDGETS: ReadonlyArray<{ reset: string; remaining: string }> = [
  { reset: 'x-ratelimit-reset-requests', remaining: 'x-ratelimit-remaining-requests' },
  { reset: 'x-ratelimit-reset-tokens', remaining: 'x-ratelimit-remaining-tokens' },
  ...['requests', 'tokens', 'input-tokens', 'output-tokens'].map((kind) => ({
    reset: `anthropic-ratelimit-${kind}-reset`,
    remaining: `anthropic-ratelimit-${kind}-remaining`,
  })),
];

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 1e-3 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s|us))+$/;
const PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us)/g;

/** A Go-style duration (`1s`, `6m0s`, `20ms`, `1h2m3.5s`) in ms, or undefined. */
export function durationMs(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const [, value, unit] of text.matchAll(PART)) ms += Number(value) * UNIT_MS[unit!]!;
  return ms;
}

/** A header's value: the first, when it came several times. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A `Retry-After`-style value (seconds, or an HTTP date) as ms from `now`. */
export function secondsOrDateMs(value: string, now: number): number | undefined {
  const seconds = Number(value);
  if (value !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A reset header's value (a duration, seconds, or a date) as ms from `now`. */
function resetIn(value: string, now: number): number | undefined {
  return durationMs(value) ?? secondsOrDateMs(value, now);
}

/**
 * The wait a 429's reset headers name, in ms: the latest reset of the budgets that are used up
 * (remaining 0), or — when none says so — the earliest reset (what frees up first). Undefined
 * when the answer names none.
 */
export function rateLimitResetMs(headers: Headers, now: number): number | undefined {
  let spent: number | undefined;
  let earliest: number | undefined;
  for (const budget of BUDGETS) {
    const raw = headerValue(headers[budget.reset]);
    if (raw === undefined) continue;
    const ms = resetIn(raw.trim(), now);
    if (ms === undefined) continue;
    earliest = earliest === undefined ? ms : Math.min(earliest, ms);
    if (headerValue(headers[budget.remaining])?.trim() === '0') spent = Math.max(spent ?? 0, ms);
  }
  return spent ?? earliest;
}

/**
 * The longest wait a provider's answer is believed: a 429 naming a year (`Retry-After: 1e12`, a
 * date in 9999) parked its client for good, failing every request at once until a restart. A
 * longer wait is taken as this long: the next request after it asks again.
 */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** OpenAI's mark of a quota spent (billing), not a rate: `insufficient_quota`. */
export const QUOTA_CODE = 'insufficient_quota';
