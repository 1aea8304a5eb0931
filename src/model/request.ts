/**
 * The shapes of a request and of its answer, and the checks a request passes before it reaches
 * an actor. Hand-written rather than schema-driven: this runs on every request.
 */
import { invalidRequest } from './failures.js';

/** Who speaks a message. */
export type Role = 'system' | 'user' | 'assistant' | 'tool';

/** One chat message. */
export interface ChatMessage {
  role: Role;
  content: string;
  /** Optional speaker name, passed through to providers that accept it. */
  name?: string;
}

/** Per-request options. */
export interface RequestOptions {
  /** Sampling temperature (0-2). Overrides the client's `defaults.temperature`. */
  temperature?: number;
  /** Upper bound on generated tokens. Overrides the client's `defaults.maxTokens`. */
  maxTokens?: number;
  /**
   * Stop sequences: generation ends before any of them. Overrides the client's `defaults.stop`.
   * Sent as OpenAI `stop`, Anthropic `stop_sequences`, Ollama `options.stop`.
   */
  stop?: string[];
  /**
   * Sampling seed, for providers that support reproducible sampling (OpenAI `seed`, Ollama
   * `options.seed`; Anthropic has none and ignores it). Overrides the client's `defaults.seed`.
   * Part of the cache key either way.
   */
  seed?: number;
  /** `false` bypasses the cache for this request, both read and write. */
  cache?: boolean;
  /** Part of the cache key: a new id gets a fresh answer, itself cached (as in DSPy). */
  rolloutId?: string | number;
  /**
   * Aborts the request (rejects with ABORTED). An AbortSignal, or any object with its `aborted`
   * flag and its `addEventListener` / `removeEventListener` for `abort`.
   */
  signal?: AbortSignal;
  /** One deadline over queueing and every attempt (rejects with TIMEOUT). */
  timeoutMs?: number;
  /** Provider-specific parameters sent as they are and made part of the cache key. */
  extra?: Record<string, unknown>;
}

/** Why generation stopped, normalized across providers. */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'error' | 'other';

/** Token usage of one completion. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** One alternative answer when a provider returns several (`extra: { n: 3 }`). */
export interface Choice {
  text: string;
  finishReason: FinishReason;
}

/** The normalized answer of every provider. */
export interface Completion {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
  /** The model as the provider reported it (or as configured). */
  model: string;
  /** The client name that answered. */
  client: string;
  /** True when served from the client's cache without touching fuse or network. */
  cacheHit: boolean;
  /** Time from the call to the answer, in ms. */
  latencyMs: number;
  /** Every alternative, present when the provider returned more than one. */
  choices?: Choice[];
  /** The provider's parsed answer, on cache misses only (never cached). */
  raw?: unknown;
}

/** Every finish reason, for checking answers that come from outside (drivers, caches). */
export const FINISH_REASONS: ReadonlySet<string> = new Set<FinishReason>([
  'stop',
  'length',
  'content_filter',
  'tool_calls',
  'error',
  'other',
]);

/** The effective parameters of a request after client defaults are applied. */
export interface EffectiveParams {
  temperature?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  extra?: Record<string, unknown>;
}

const ROLES: ReadonlySet<string> = new Set(['system', 'user', 'assistant', 'tool']);
const OPTION_KEYS: ReadonlySet<string> = new Set([
  'temperature',
  'maxTokens',
  'stop',
  'seed',
  'cache',
  'rolloutId',
  'signal',
  'timeoutMs',
  'extra',
]);
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const MESSAGE_KEYS: ReadonlySet<string> = new Set(['role', 'content', 'name']);

const invalid = invalidRequest;

/** Throws INVALID_REQUEST naming the first problem in `messages`. */
export function validateMessages(
  messages: unknown,
  client: string,
): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages)) {
    throw invalid('messages: expected an array of { role, content }', client);
  }
  if (messages.length === 0) throw invalid('messages: must not be empty', client);
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (typeof m !== 'object' || m === null) {
      throw invalid(`messages[${i}]: expected an object with role and content`, client);
    }
    const { role, content, name } = m as Record<string, unknown>;
    for (const key of Object.keys(m)) {
      if (!MESSAGE_KEYS.has(key)) {
        throw invalid(
          `messages[${i}].${key}: unknown key (a message has role, content and name)`,
          client,
        );
      }
    }
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw invalid(
        `messages[${i}].role: expected one of system, user, assistant, tool; got ${describe(role)}`,
        client,
      );
    }
    if (typeof content !== 'string') {
      throw invalid(`messages[${i}].content: expected a string, got ${describe(content)}`, client);
    }
    if (!content.isWellFormed()) {
      throw invalid(`messages[${i}].content: contains a lone surrogate (invalid UTF-16)`, client);
    }
    if (name !== undefined && typeof name !== 'string') {
      throw invalid(`messages[${i}].name: expected a string, got ${describe(name)}`, client);
    }
  }
}

/** Throws INVALID_REQUEST naming the first problem in `options`. */
export function validateOptions(
  options: unknown,
  client: string,
): asserts options is RequestOptions | undefined {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(`options: expected an object, got ${describe(options)}`, client);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.has(key)) throw invalid(`options.${key}: unknown option`, client);
  }
  checkNumber(o.temperature, 'options.temperature', 0, 2, false, client);
  checkNumber(o.maxTokens, 'options.maxTokens', 1, Number.MAX_SAFE_INTEGER, true, client);
  checkNumber(o.timeoutMs, 'options.timeoutMs', 1, 2_147_483_647, false, client);
  checkNumber(
    o.seed,
    'options.seed',
    -Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
    true,
    client,
  );
  if (o.stop !== undefined) {
    const problem = stopProblem(o.stop);
    if (problem !== undefined) throw invalid(`options.stop${problem}`, client);
  }
  if (o.cache !== undefined && typeof o.cache !== 'boolean') {
    throw invalid(`options.cache: expected a boolean, got ${describe(o.cache)}`, client);
  }
  if (
    o.rolloutId !== undefined &&
    typeof o.rolloutId !== 'string' &&
    !(typeof o.rolloutId === 'number' && Number.isFinite(o.rolloutId))
  ) {
    throw invalid(
      `options.rolloutId: expected a string or number, got ${describe(o.rolloutId)}`,
      client,
    );
  }
  if (o.signal !== undefined && !isSignal(o.signal)) {
    throw invalid('options.signal: expected an AbortSignal', client);
  }
  if (o.extra !== undefined) checkExtra(o.extra, client);
}

/**
 * What is wrong with a list of stop sequences (a field suffix and the reason), or undefined.
 * Shared by request options and client `defaults.stop`.
 */
export function stopProblem(stop: unknown): string | undefined {
  if (!Array.isArray(stop)) return `: expected an array of strings, got ${describe(stop)}`;
  for (let i = 0; i < stop.length; i++) {
    const s: unknown = stop[i];
    if (typeof s !== 'string' || s === '') {
      return `[${i}]: expected a non-empty string, got ${describe(s)}`;
    }
  }
  return undefined;
}

function checkExtra(extra: unknown, client: string): void {
  const problem = extraProblem(extra);
  if (problem !== undefined) throw invalid(`options.extra${problem}`, client);
}

/**
 * What is wrong with an `extra` object (a field suffix and the reason), or undefined: it must be
 * a plain, JSON-serializable object without prototype keys, and must not ask for streaming
 * (that is `runtime.stream`'s job). Shared by request options and client `defaults.extra`.
 */
export function extraProblem(extra: unknown): string | undefined {
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    return `: expected a plain object, got ${describe(extra)}`;
  }
  const proto: unknown = Object.getPrototypeOf(extra);
  if (proto !== Object.prototype && proto !== null) {
    return `: expected a plain object, got a ${(extra as object).constructor?.name ?? 'class instance'}`;
  }
  for (const key of Object.keys(extra)) {
    if (FORBIDDEN_KEYS.has(key)) return `.${key}: forbidden key`;
    if (key === 'stream') {
      return '.stream: streamed answers are not available through extra (use runtime.stream())';
    }
  }
  try {
    JSON.stringify(extra);
  } catch (e) {
    return `: must be JSON-serializable (${(e as Error).message})`;
  }
  return undefined;
}

function checkNumber(
  value: unknown,
  field: string,
  min: number,
  max: number,
  integer: boolean,
  client: string,
): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(`${field}: expected a finite number, got ${describe(value)}`, client);
  }
  if (integer && !Number.isInteger(value)) {
    throw invalid(`${field}: expected an integer, got ${value}`, client);
  }
  if (value < min || value > max) {
    throw invalid(`${field}: must be between ${min} and ${max}, got ${value}`, client);
  }
}

/** A short, safe description of a value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : JSON.stringify(value);
  return typeof value;
}

/**
 * An AbortSignal, or an object with the part of one the runtime uses (`aborted` and 'abort'
 * listeners), such as the gateway's light per-request signal or a polyfill's.
 */
function isSignal(value: unknown): value is AbortSignal {
  if (value instanceof AbortSignal) return true;
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.aborted === 'boolean' &&
    typeof v.addEventListener === 'function' &&
    typeof v.removeEventListener === 'function'
  );
}
