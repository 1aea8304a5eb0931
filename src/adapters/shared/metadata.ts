/**
 * What both adapters report, beside the answer, about how llm-actors served it.
 */
import type { Completion } from '../../model/request.js';

/** The llm-actors facts of one answer, as the adapters' provider metadata carries them. */
export interface AnswerMetadata {
  /** The llm-actors client that answered. */
  client: string;
  /** True when served from the client's cache: no fuse, no network, nothing paid. */
  cacheHit: boolean;
  /** llm-actors' latency of the answer, in ms. */
  latencyMs: number;
}

/** The {@link AnswerMetadata} of a completion. */
export function answerMetadata(completion: Completion): AnswerMetadata {
  return {
    client: completion.client,
    cacheHit: completion.cacheHit,
    latencyMs: completion.latencyMs,
  };
}
