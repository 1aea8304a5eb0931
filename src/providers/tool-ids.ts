/**
 * Ids for tool calls the provider sent without one (some OpenAI-compatible servers do): the
 * hosts match a call's streamed fragments, the call and its result by id, and the next step
 * sends the id back with both the call and its result.
 */
import { createHash } from 'node:crypto';
import type { ChatMessage } from '../model/chat.js';

/**
 * The id of the call at each index of one answer to `messages`, made from a digest of the
 * messages: the same prompt gets the same ids, so a repeated tool loop still hits the cache,
 * and each step of a loop (whose prompt has grown) gets new ones, as the AI SDK's UI keys a
 * message's tool parts on them and Anthropic wants the ids of one conversation distinct. The digest is taken only when an id is needed.
 */
export function inventedToolCallIds(messages: readonly ChatMessage[]): (index: number) => string {
  let digest: string | undefined;
  return (index) => {
    digest ??= createHash('sha256').update(JSON.stringify(messages)).digest('hex').slice(0, 16);
    return `call_${digest}_${index}`;
  };
}
