/**
 * What every wire format implements: one call, returning the normalized answer or throwing;
 * streamed when the caller asks for deltas.
 */
import type { Cancellation } from '../policy/cancellation.js';
import type { BodyWatch } from '../transport/http.js';
import { tokenCount, type CachedCompletion } from '../model/answer.js';
import type { StreamChunk } from '../model/chat.js';
import type { ChatMessage, EffectiveParams, Usage } from '../model/request.js';

/**
 * Takes one streamed chunk (text, a reasoning delta or a tool-call fragment). Returning false
 * says the consumer is behind: the sender stops reading the upstream until `resume` is called
 * (never from inside this callback).
 */
export type DeltaCallback = (chunk: StreamChunk, resume: () => void) => boolean;

/** One attempt's input. */
export interface ProviderCall {
  messages: ChatMessage[];
  params: EffectiveParams;
  /** Aborted on deadline, caller abort or crash. */
  cancel: Cancellation;
  /** When present the attempt is streamed: each chunk goes here as it arrives. */
  onDelta?: DeltaCallback;
  /** A streamed attempt that failed after the provider reported usage: what it billed. */
  onPaid?: (usage: Usage) => void;
  /** Told how the answer arrives (the client's time limits), when the client sets any. */
  watch?: BodyWatch;
  /** Called for each stream event that is not JSON (it is skipped). */
  onSkipped?: (why: string) => void;
}

/** One attempt's answer. */
export interface ProviderAnswer {
  completion: CachedCompletion;
  raw: unknown;
}

/** A wire format bound to one client's config and transport. */
export interface Provider {
  /**
   * Makes one attempt, streamed when `call.onDelta` is set (it then resolves once the stream
   * has ended, with the whole answer). Throws an LlmActorsError, or anything `classify` can type.
   */
  call(call: ProviderCall): Promise<ProviderAnswer>;
  /** Waits for calls under way and releases connections. */
  close(): Promise<void>;
  /** Releases connections now. */
  destroy(): Promise<void>;
}

function count(value: unknown): number {
  return tokenCount(value) ?? 0;
}

/** Usage from whatever counts a provider gave; the total is their sum when it gave none. */
export function makeUsage(prompt: unknown, completion: unknown, total?: unknown): Usage {
  const promptTokens = count(prompt);
  const completionTokens = count(completion);
  const totalTokens = typeof total === 'number' ? count(total) : promptTokens + completionTokens;
  return { promptTokens, completionTokens, totalTokens };
}
