/**
 * Tool-call ids for the gateway's callers where the provider sent none (some OpenAI-compatible
 * servers do not): the official SDKs' stream helpers refuse a call without one, and the next
 * turn's tool result names its call by it. The ids are made as the adapters make theirs
 * ({@link inventedToolCallIds}), per choice.
 */
import type { StreamChunk } from '../model/chat.js';
import type { ChatMessage, Completion } from '../model/request.js';
import { inventedToolCallIds } from '../providers/tool-ids.js';

/**
 * `completion` with an id on every tool call of each choice: itself when none lacks one, else a
 * copy (a cached answer is shared, and is left as the provider sent it).
 */
export function withToolCallIds(
  completion: Completion,
  messages: readonly ChatMessage[],
): Completion {
  const choices = completion.choices ?? [completion];
  if (!choices.some((c) => c.toolCalls?.some((call) => call.id === '') === true)) return completion;
  const invent = inventedToolCallIds(messages);
  const filled = choices.map((choice, c) =>
    choice.toolCalls?.map((call, i) =>
      call.id === '' ? { ...call, id: choiceId(invent, c, i) } : call,
    ),
  );
  const copy: Completion = { ...completion, toolCalls: filled[0] };
  if (completion.choices !== undefined) {
    copy.choices = completion.choices.map((choice, c) => ({ ...choice, toolCalls: filled[c] }));
  }
  return copy;
}

/**
 * The chunks of one stream with an id on each tool call's first fragment: the function returned
 * gives a chunk back as it is, or a copy with the id it lacked.
 */
export function streamToolCallIds(
  messages: readonly ChatMessage[],
): (chunk: StreamChunk) => StreamChunk {
  let invent: ((index: number) => string) | undefined;
  let seen: Set<string> | undefined;
  return (chunk) => {
    const call = chunk.toolCall;
    if (call === undefined) return chunk;
    const key = `${chunk.choice ?? 0}:${call.index}`;
    seen ??= new Set();
    if (seen.has(key)) return chunk;
    seen.add(key);
    if (call.id !== undefined && call.id !== '') return chunk;
    invent ??= inventedToolCallIds(messages);
    const id = choiceId(invent, chunk.choice ?? 0, call.index);
    return { ...chunk, toolCall: { ...call, id } };
  };
}

/** Choice 0 keeps the adapters' ids; a later choice's are told apart by its index. */
function choiceId(invent: (index: number) => string, choice: number, index: number): string {
  return choice === 0 ? invent(index) : `${invent(index)}_${choice}`;
}
