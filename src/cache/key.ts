/**
 * The cache key: sha256 of canonical JSON (keys sorted at every level) of what determines the
 * answer. Secrets (apiKey, headers) are never part of it.
 */
import { hash } from 'node:crypto';
import type { ChatMessage, EffectiveParams } from '../model/request.js';

/** What determines an answer. */
export interface KeyParts {
  provider: string;
  baseUrl: string;
  model: string;
  messages: ChatMessage[];
  params: EffectiveParams;
  rolloutId: string | number | undefined;
}

/** What JSON.stringify writes for `value`: its `toJSON()` result when it has one (a Date). */
function jsonValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return toJSON.call(value);
  }
  return value;
}

/** True for what JSON.stringify leaves out of objects (and writes as null in arrays). */
function isSkipped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** JSON with object keys sorted, `undefined` members left out, as JSON.stringify would. */
export function canonicalJson(value: unknown): string {
  return write(jsonValue(value));
}

/** canonicalJson of a value whose `toJSON` (if any) has been applied already. */
function write(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return isSkipped(value) ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = jsonValue(value[i]);
      out += isSkipped(item) ? 'null' : write(item);
    }
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = jsonValue(record[key]);
    if (isSkipped(item)) continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(key) + ':' + write(item);
  }
  return out + '}';
}

/** The hex sha256 cache key of a request. */
export function cacheKey(parts: KeyParts): string {
  return new KeyWriter(parts.provider, parts.baseUrl, parts.model).key(
    parts.messages,
    parts.params,
    parts.rolloutId,
  );
}

/**
 * The cache keys of one client, its constant parts written once. (Remembering recent keys by
 * their canonical JSON was measured: it doubled a miss's key cost and saved nothing on a hit.)
 */
export class KeyWriter {
  private readonly head: string;
  private readonly middle: string;
  private readonly tail: string;

  constructor(provider: string, baseUrl: string, model: string) {
    this.head = `{"baseUrl":${JSON.stringify(baseUrl)},"messages":[`;
    this.middle = `],"model":${JSON.stringify(model)},"params":`;
    this.tail = `,"provider":${JSON.stringify(provider)}`;
  }

  /** The hex sha256 of the request's canonical JSON (see {@link canonicalJson}). */
  key(
    messages: ChatMessage[],
    params: EffectiveParams,
    rolloutId: string | number | undefined,
  ): string {
    return hash('sha256', this.json(messages, params, rolloutId), 'hex');
  }

  /**
   * `canonicalJson` of the key parts, written out by hand for the shape every request has:
   * the generic walk with its key sorting is the costlier half of the key. A plain message
   * (string content, role and name) is written by hand; one with parts, tool calls, a tool
   * call id or reasoning goes through the generic walk.
   */
  private json(
    messages: ChatMessage[],
    params: EffectiveParams,
    rolloutId: string | number | undefined,
  ): string {
    let out = this.head;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (i > 0) out += ',';
      if (typeof m.content !== 'string' || m.role === 'assistant' || m.role === 'tool') {
        out += canonicalJson(m);
        continue;
      }
      out += `{"content":${JSON.stringify(m.content)}`;
      if (m.name !== undefined) out += `,"name":${JSON.stringify(m.name)}`;
      out += `,"role":${JSON.stringify(m.role)}}`;
    }
    out += this.middle + paramsJson(params) + this.tail;
    if (rolloutId !== undefined) out += `,"rolloutId":${JSON.stringify(rolloutId)}`;
    return out + '}';
  }
}

/**
 * `canonicalJson(params)` written out for the known fields, in sorted key order (extra,
 * logprobs, maxTokens, parallelToolCalls, reasoning, responseFormat, seed, stop, temperature,
 * toolChoice, tools): the generic walk sorts keys on every request.
 */
function paramsJson(params: EffectiveParams): string {
  let out = '{';
  let sep = '';
  if (params.extra !== undefined) {
    out += `"extra":${canonicalJson(params.extra)}`;
    sep = ',';
  }
  if (params.logprobs !== undefined) {
    out += `${sep}"logprobs":${JSON.stringify(params.logprobs)}`;
    sep = ',';
  }
  if (params.maxTokens !== undefined) {
    out += `${sep}"maxTokens":${JSON.stringify(params.maxTokens)}`;
    sep = ',';
  }
  if (params.parallelToolCalls !== undefined) {
    out += `${sep}"parallelToolCalls":${JSON.stringify(params.parallelToolCalls)}`;
    sep = ',';
  }
  if (params.reasoning !== undefined) {
    out += `${sep}"reasoning":${canonicalJson(params.reasoning)}`;
    sep = ',';
  }
  if (params.responseFormat !== undefined) {
    out += `${sep}"responseFormat":${canonicalJson(params.responseFormat)}`;
    sep = ',';
  }
  if (params.seed !== undefined) {
    out += `${sep}"seed":${JSON.stringify(params.seed)}`;
    sep = ',';
  }
  if (params.stop !== undefined) {
    out += `${sep}"stop":${canonicalJson(params.stop)}`;
    sep = ',';
  }
  if (params.temperature !== undefined) {
    out += `${sep}"temperature":${JSON.stringify(params.temperature)}`;
    sep = ',';
  }
  if (params.toolChoice !== undefined) {
    out += `${sep}"toolChoice":${canonicalJson(params.toolChoice)}`;
    sep = ',';
  }
  if (params.tools !== undefined) out += `${sep}"tools":${canonicalJson(params.tools)}`;
  return out + '}';
}
