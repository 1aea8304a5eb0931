/**
 * Request options as the adapters hand them to the runtime.
 */
import type { RequestOptions } from '../../model/request.js';

/**
 * `options` without its undefined members: the runtime validates every key that is present, and
 * hosts pass many settings as explicitly undefined.
 */
export function defined(options: RequestOptions): RequestOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as RequestOptions;
}
