/** Scripted answers: a {@link ScriptedAnswer} turned into the choice every format renders. */
import type { AnswerFacts } from './answer.js';
import {
  countWords,
  isRecord,
  splitDeltas,
  type ChoiceText,
  type Completion,
  type WireToolCall,
} from './formats/index.js';
import type { ScriptedAnswer, ScriptedToolCall } from './scripted-types.js';
import type { TestChatRequest } from './types.js';

/** Characters per streamed tool-argument fragment. */
const FRAGMENT_CHARS = 8;

/** Splits `text` into pieces of `size` characters (never inside a surrogate pair). */
function fragments(text: string, size: number): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

function toolCall(call: ScriptedToolCall, num: number, i: number, chat: TestChatRequest) {
  const args = call.arguments;
  let input: unknown = args;
  if (typeof args === 'string') {
    try {
      input = JSON.parse(args);
    } catch {
      input = undefined;
    }
  }
  if (!isRecord(input)) {
    throw new TypeError(`scripted tool call ${call.name}: arguments must be a JSON object`);
  }
  const text = typeof args === 'string' ? args : JSON.stringify(args);
  const prefix = chat.format === 'anthropic' ? 'toolu' : 'call';
  return {
    id: call.id ?? `${prefix}_${num}_${i}`,
    name: call.name,
    arguments: text,
    input,
    fragments: fragments(text, FRAGMENT_CHARS),
  } satisfies WireToolCall;
}

/**
 * The completion of `chat` answered by `answer`: its text is not cut to `max_tokens`; OpenAI's
 * `n` choices all carry the same answer.
 */
export function scriptedCompletion(
  answer: ScriptedAnswer,
  chat: TestChatRequest,
  facts: AnswerFacts,
): Completion {
  const content = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.text ?? '');
  const toolCalls = (answer.toolCalls ?? []).map((c, i) => toolCall(c, facts.num, i, chat));
  const { reasoning } = answer;
  const choice: ChoiceText = {
    content,
    finish: answer.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    deltas: splitDeltas(content, facts.chunkWords),
    ...(toolCalls.length > 0 && { toolCalls }),
    ...(reasoning !== undefined && {
      reasoning,
      reasoningDeltas: splitDeltas(reasoning, facts.chunkWords),
      signature: answer.reasoningSignature ?? `sig_${facts.num}`,
    }),
    ...(answer.redactedReasoning !== undefined && { redacted: answer.redactedReasoning }),
  };
  const usage = answer.usage ?? {};
  const reasoningTokens =
    usage.reasoningTokens ?? (reasoning !== undefined ? countWords(reasoning) : undefined);
  const completionTokens =
    usage.completionTokens ??
    countWords(content) +
      (reasoningTokens ?? 0) +
      toolCalls.reduce((sum, c) => sum + countWords(c.arguments), 0);
  return {
    num: facts.num,
    model: facts.model,
    createdMs: facts.nowMs,
    elapsedMs: facts.nowMs - facts.startedMs,
    choices: Array.from({ length: chat.n ?? 1 }, () => choice),
    promptTokens:
      usage.promptTokens ?? chat.messages.reduce((sum, m) => sum + countWords(m.content), 0),
    completionTokens,
    ...(usage.cachedPromptTokens !== undefined && { cachedTokens: usage.cachedPromptTokens }),
    ...(usage.cacheWriteTokens !== undefined && { cacheWriteTokens: usage.cacheWriteTokens }),
    ...(reasoningTokens !== undefined && { reasoningTokens }),
    chat,
  };
}
