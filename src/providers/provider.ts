/**
 * What every wire format implements: one call, returning the normalized answer or throwing.
 */
import type { Cancellation } from '../policy/cancellation.js';
import type { CachedCompletion } from '../model/answer.js';
import type { ChatMessage, EffectiveParams, Usage } from '../model/request.js';

/** One attempt's input. */
export interface ProviderCall {
  messages: ChatMessage[];
  params: EffectiveParams;
  /** Aborted on deadline, caller abort or crash. */
  cancel: Cancellation;
}

/** One attempt's answer. */
export interface ProviderAnswer {
  completion: CachedCompletion;
  raw: unknown;
}

/** A wire format bound to one client's config and transport. */
export interface Provider {
  /** Makes one attempt. Throws an LlmActorsError, or anything `classify` can type. */
  call(call: ProviderCall): Promise<ProviderAnswer>;
  /**
   * Makes one streamed attempt: each text delta goes to `onDelta` as it arrives; resolves with
   * the whole answer. Throws like `call`.
   */
  stream(call: ProviderCall, onDelta: (text: string) => void): Promise<ProviderAnswer>;
  /** Waits for calls under way and releases connections. */
  close(): Promise<void>;
  /** Releases connections now. */
  destroy(): Promise<void>;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** Usage from whatever counts a provider gave; the total is their sum when it gave none. */
export function makeUsage(prompt: unknown, completion: unknown, total?: unknown): Usage {
  const promptTokens = count(prompt);
  const completionTokens = count(completion);
  const totalTokens = typeof total === 'number' ? count(total) : promptTokens + completionTokens;
  return { promptTokens, completionTokens, totalTokens };
}

/** What a streamed attempt yields: text deltas, then the whole normalized answer once. */
export type StreamEvent =
  { type: 'delta'; text: string } | { type: 'done'; completion: CachedCompletion };

/** Reads one wire format's stream: decoded text in, events out; throws typed errors. */
export interface StreamReader {
  /**
   * Feeds decoded text; yields the events it completed, one at a time, so that the deltas
   * before an error event in the same piece still reach the caller.
   */
  push(text: string): Iterable<StreamEvent>;
  /** The stream ended: the last events, or NETWORK_ERROR if it ended before its terminator. */
  end(): Iterable<StreamEvent>;
}
