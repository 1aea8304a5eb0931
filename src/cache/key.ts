/**
 * The cache key: sha256 of canonical JSON (keys sorted at every level) of what determines the
 * answer. Secrets (apiKey, headers) are never part of it.
 */
import { createHash } from 'node:crypto';
import type { ChatMessage, EffectiveParams } from '../request.js';

/** What determines an answer. */
export interface KeyParts {
  provider: string;
  baseUrl: string;
  model: string;
  messages: ChatMessage[];
  params: EffectiveParams;
  rolloutId: string | number | undefined;
}

/** JSON with object keys sorted, `undefined` members left out, as JSON.stringify would. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return value === undefined ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += item === undefined || typeof item === 'function' ? 'null' : canonicalJson(item);
    }
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined || typeof item === 'function') continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(key) + ':' + canonicalJson(item);
  }
  return out + '}';
}

/** The hex sha256 cache key of a request. */
export function cacheKey(parts: KeyParts): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}
