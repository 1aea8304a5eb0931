/**
 * Field schemas several config sections share: a duration in ms that a timer can hold, and a
 * Redis URL (and the `shared: { url }` that makes a fuse, budget or rate limit fleet-wide).
 * It imports no other config module, so every one of them may import it.
 */
import { z } from 'zod';

/** The longest delay a Node timer takes, ms. */
const MAX_TIMER_MS = 2_147_483_647;

/** An integer duration in ms from `min` to {@link MAX_TIMER_MS}. */
export const ms = (min = 1) => z.number().int().min(min).max(MAX_TIMER_MS);

/** A `redis://` or `rediss://` URL. */
export const redisUrl = () =>
  z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' });

/** `shared: { url }`, optional: state kept in the Redis at `url`, for every process that names it. */
export const sharedRedis = () => z.strictObject({ url: redisUrl() }).optional();
