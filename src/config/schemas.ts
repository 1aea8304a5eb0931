/**
 * The zod schemas of the configuration. Checked once, at `createRuntime` and `register`;
 * never on the request path.
 */
import type { Logger, LoggerOptions } from 'pino';
import { z } from 'zod';
import type { Clock } from '../model/clock.js';
import { extraProblem } from '../model/request.js';
import { chatOptionProblem } from '../model/chat-options.js';
import { budgetSchema } from './budget.js';
import { pricingSchema } from './pricing.js';
import { traceSchema } from './trace.js';
import { rateLimitSchema } from './rate-limit.js';
import { timeLimitFields } from './time-limits.js';
import { ms, redisUrl, sharedRedis } from './fields.js';

/** Names that would reach into an object's prototype. */
export const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

// At least 1 KiB (less would refuse ordinary answers); at most 256 MiB (a V8 string stops near
// 512 M characters, and a body is held as bytes and as text at once).
const bytes = () =>
  z
    .number()
    .int()
    .min(1024, { error: 'must be at least 1024 bytes' })
    .max(2 ** 28, { error: 'must be at most 256 MiB (268435456 bytes)' });
const fn = (what: string) =>
  z.custom<(...args: any[]) => unknown>((v) => typeof v === 'function', {
    error: `expected a function (${what})`,
  });
// The check runs on the input: zod strips an own `__proto__` key from a record's output, so a
// refinement of the parsed record would never see it.
const safeRecord = <T extends z.ZodType>(value: T) =>
  z
    .unknown()
    .superRefine((v, ctx) => {
      if (typeof v !== 'object' || v === null) return;
      for (const key of Object.keys(v)) {
        if (FORBIDDEN_NAMES.has(key)) {
          ctx.addIssue({
            code: 'custom',
            message: 'must not use the keys __proto__, constructor or prototype',
            path: [key],
          });
        }
      }
    })
    .pipe(z.record(z.string(), value));

// What undici (and Node's http) accept in a header value and name: a value is refused on every
// request otherwise, which is a config fault to report once, at start-up. The messages never
// repeat the value: it is usually a credential.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerValue = z.string().superRefine((v, ctx) => {
  if (HEADER_VALUE.test(v)) return;
  ctx.addIssue({
    code: 'custom',
    message: /[\r\n]/.test(v)
      ? 'must not contain CR or LF'
      : 'must not contain control characters or characters beyond Latin-1',
  });
});
const headersSchema = safeRecord(headerValue).superRefine((headers, ctx) => {
  for (const name of Object.keys(headers)) {
    if (!HEADER_NAME.test(name)) {
      ctx.addIssue({ code: 'custom', message: 'is not a valid header name', path: [name] });
    }
  }
});
const apiKeySchema = z
  .string()
  .min(1, { error: 'must not be empty (omit it instead)' })
  .refine((v) => !/^\s|\s$/.test(v), {
    error: 'must not begin or end with whitespace (a newline read from an env file?)',
  })
  .pipe(headerValue);

const cacheSchema = z
  .strictObject({
    store: z.enum(['memory', 'sqlite', 'redis']),
    path: z.string().min(1).optional(),
    url: redisUrl().optional(),
    ttlMs: ms().optional(),
    maxEntries: z.number().int().min(1).optional(),
    frontEntries: z.number().int().min(0).optional(),
    singleFlight: z.boolean().optional(),
  })
  .refine((c) => c.store !== 'redis' || c.url !== undefined, {
    error: "store 'redis' needs a url",
    path: ['url'],
  });

const CACHE_EXPECTED =
  "expected { store: 'memory' | 'sqlite' | 'redis', path?, url?, ttlMs?, maxEntries?, frontEntries?, singleFlight? } or false";

const paramsSchema = z
  .strictObject({
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().min(1).optional(),
    stop: z.array(z.string().min(1)).optional(),
    seed: z.int().optional(),
    extra: safeRecord(z.unknown())
      .superRefine((extra, ctx) => {
        const problem = extraProblem(extra);
        // Prototype keys are reported by safeRecord with their own path.
        if (problem !== undefined && !problem.endsWith('forbidden key')) {
          const [, key, reason] = /^(?:\.(\w+))?: ?(.*)$/.exec(problem) ?? [];
          ctx.addIssue({ code: 'custom', message: reason ?? problem, path: key ? [key] : [] });
        }
      })
      .optional(),
    tools: z.unknown().optional(),
    toolChoice: z.unknown().optional(),
    parallelToolCalls: z.unknown().optional(),
    responseFormat: z.unknown().optional(),
    reasoning: z.unknown().optional(),
    logprobs: z.unknown().optional(),
  })
  .superRefine((params, ctx) => {
    const problem = chatOptionProblem(params);
    if (problem !== undefined) {
      const [, field, reason] = /^([^:]*): ?(.*)$/.exec(problem) ?? [];
      ctx.addIssue({ code: 'custom', message: reason ?? problem, path: field ? [field] : [] });
    }
  });

/** One client's config. */
export const clientSchema = z.strictObject({
  provider: z.enum(['openai', 'anthropic', 'ollama', 'driver'], {
    error: 'expected one of openai, anthropic, ollama, driver',
  }),
  model: z.string({ error: 'expected a model name' }).min(1, { error: 'must not be empty' }),
  baseUrl: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
  apiKey: apiKeySchema.optional(),
  headers: headersSchema.optional(),
  defaults: paramsSchema.optional(),
  timeoutMs: ms().optional(),
  maxConcurrency: z.number().int().min(1).max(100_000).optional(),
  maxQueue: z.number().int().min(0).max(10_000_000).optional(),
  cache: z.union([cacheSchema, z.literal(false)], { error: CACHE_EXPECTED }).optional(),
  fuse: z
    .strictObject({
      maxFailures: z.number().int().min(1).optional(),
      windowMs: ms().optional(),
      resetMs: ms().optional(),
      backoffFactor: z.number().min(1).max(100).optional(),
      maxResetMs: ms().optional(),
      shared: sharedRedis(),
    })
    .optional(),
  retry: z
    .union(
      [
        z.strictObject({
          maxAttempts: z.number().int().min(1).max(100).optional(),
          baseDelayMs: ms(0).optional(),
          maxDelayMs: ms(0).optional(),
        }),
        z.literal(false),
      ],
      { error: 'expected { maxAttempts?, baseDelayMs?, maxDelayMs? } or false' },
    )
    .optional(),
  historySize: z.number().int().min(0).max(100_000).optional(),
  maxResponseBytes: bytes().optional(),
  maxEventBytes: bytes().optional(),
  pricing: pricingSchema.optional(),
  budget: budgetSchema.optional(),
  trace: traceSchema.optional(),
  ...timeLimitFields,
  rateLimit: rateLimitSchema.optional(),
  request: fn('the driver request function').optional(),
  output: fn('the driver output function').optional(),
});

/** The runtime config; its clients are checked one by one with {@link clientSchema}. */
export const runtimeSchema = z.strictObject({
  clients: z.record(z.string(), z.unknown()).optional(),
  groups: z.record(z.string(), z.unknown()).optional(),
  cache: z.union([cacheSchema, z.literal(false)], { error: CACHE_EXPECTED }).optional(),
  supervisor: z
    .strictObject({
      maxRestarts: z.number().int().min(0).optional(),
      periodMs: ms().optional(),
      backoffMs: ms(0).optional(),
    })
    .optional(),
  logger: z
    .union(
      [
        z.literal(false),
        z.custom<Logger | LoggerOptions>((v) => typeof v === 'object' && v !== null),
      ],
      { error: 'expected a pino logger, pino options or false' },
    )
    .optional(),
  clock: z
    .custom<Clock>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        ['now', 'setTimeout', 'clearTimeout', 'random'].every(
          (k) => typeof (v as Record<string, unknown>)[k] === 'function',
        ),
      { error: 'expected { now, setTimeout, clearTimeout, random }' },
    )
    .optional(),
});
