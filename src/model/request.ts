/**
 * The shapes of a request and of its answer, and the checks a request passes before it reaches
 * an actor. Hand-written rather than schema-driven: this runs on every request.
 */
import type {
  AssistantMessage,
  ReasoningOptions,
  ResponseFormat,
  TokenLogprob,
  ToolCall,
  ToolChoice,
  ToolDefinition,
} from './chat.js';
import { chatOptionProblem, CHAT_OPTION_KEYS } from './chat-options.js';
import { invalidRequest } from './failures.js';
import { describe } from './describe.js';
import { REQUEST_ID_RULE, isRequestId } from './request-id.js';
import type { Route } from './errors.js';

export type { ChatMessage, Role } from './chat.js';
export { describe } from './describe.js';
export { validateMessages } from './messages.js';

/**
 * The parameters a request sends to its provider: a request's own (`RequestOptions`) or a
 * client's `defaults`, the request's value replacing the default field by field.
 */
export interface RequestParams {
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
  /** Provider-specific parameters sent as they are and made part of the cache key. */
  extra?: Record<string, unknown>;
  /** Tools the model may call (OpenAI `tools`). */
  tools?: ToolDefinition[];
  /** Whether and which tool the model must call. */
  toolChoice?: ToolChoice;
  /** Whether the model may ask for several calls in one turn. */
  parallelToolCalls?: boolean;
  /** `{ type: 'json', schema }` asks for JSON: the answer's parsed value is `completion.json`. */
  responseFormat?: ResponseFormat;
  /** Reasoning effort or budget, for reasoning models. */
  reasoning?: ReasoningOptions;
  /** Log probabilities of the answer's tokens: `true`, or the number of alternatives (0-20). */
  logprobs?: boolean | number;
}

/** Per-request options: the parameters, and how this one request is run. */
export interface RequestOptions extends RequestParams {
  /**
   * `false` bypasses the cache for this request, both read and write; `'refresh'` skips the
   * read but stores the fresh answer (HTTP `Cache-Control: no-cache`).
   */
  cache?: boolean | 'refresh';
  /** Part of the cache key: a new id gets a fresh answer, itself cached (as in DSPy). */
  rolloutId?: string | number;
  /**
   * Aborts the request (rejects with ABORTED). An AbortSignal, or any object with its `aborted`
   * flag and its `addEventListener` / `removeEventListener` for `abort`.
   */
  signal?: AbortSignal;
  /** One deadline over queueing and every attempt (rejects with TIMEOUT). */
  timeoutMs?: number;
  /** Its id in logs, history and spans (1-128 of `A-Za-z0-9._:-`); default: the client's own. */
  requestId?: string;
}

/** Why generation stopped, normalized across providers. */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'error' | 'other';

/** Token usage of one completion. */
export interface Usage {
  /** Every input token, cached or not. */
  promptTokens: number;
  completionTokens: number;
  /** The provider's own total when it gives one. */
  totalTokens: number;
  /** Input tokens read from the provider's prompt cache. */
  cachedPromptTokens?: number;
  /** Input tokens written to the provider's prompt cache. */
  cacheWriteTokens?: number;
  /** Output tokens spent reasoning (part of `completionTokens`). */
  reasoningTokens?: number;
}

/** What every answer and each of its choices carry beyond text. */
export interface AnswerParts {
  /** The calls the model asks for (finishReason `tool_calls`). */
  toolCalls?: ToolCall[];
  /** The model's visible reasoning. */
  reasoning?: string;
  /** With `responseFormat.type` `json`: the parsed answer, valid against its schema. */
  json?: unknown;
  /** With `logprobs`: each token's log probability. */
  logprobs?: TokenLogprob[];
}

/** One alternative answer when a provider returns several (`extra: { n: 3 }`). */
export interface Choice extends AnswerParts {
  text: string;
  finishReason: FinishReason;
  /** The assistant turn to append to `messages` for the next call. */
  message: AssistantMessage;
}

/** The normalized answer of every provider: its first choice, and what the call was. */
export interface Completion extends Choice {
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
  /** USD this call paid, for a client with `pricing` (0 for a hit or a single-flight join). */
  costUsd?: number;
  /** The provider's parsed answer, on cache misses only (never cached). */
  raw?: unknown;
  /** Answered by a group: the members it tried (`client` and `model` are the answering one's). */
  route?: Route;
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
export type EffectiveParams = RequestParams;

const OPTION_KEYS: ReadonlySet<string> = new Set([
  'temperature',
  'maxTokens',
  'stop',
  'seed',
  'cache',
  'rolloutId',
  'signal',
  'timeoutMs',
  'requestId',
  'extra',
  ...CHAT_OPTION_KEYS,
]);
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const invalid = invalidRequest;

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
  const { MAX_SAFE_INTEGER } = Number;
  checkNumber(o.seed, 'options.seed', -MAX_SAFE_INTEGER, MAX_SAFE_INTEGER, true, client);
  if (o.requestId !== undefined && !isRequestId(o.requestId)) {
    throw invalid(`options.requestId: ${REQUEST_ID_RULE}, got ${describe(o.requestId)}`, client);
  }
  if (o.stop !== undefined) {
    const problem = stopProblem(o.stop);
    if (problem !== undefined) throw invalid(`options.stop${problem}`, client);
  }
  if (o.cache !== undefined && typeof o.cache !== 'boolean' && o.cache !== 'refresh') {
    throw invalid(
      `options.cache: expected a boolean or 'refresh', got ${describe(o.cache)}`,
      client,
    );
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
  const problem = chatOptionProblem(o);
  if (problem !== undefined) throw invalid(`options.${problem}`, client);
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
