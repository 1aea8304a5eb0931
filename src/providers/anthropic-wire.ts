/**
 * The Anthropic Messages shapes of the whole chat, both ways: system and developer turns lifted
 * to `system`, images, `tool_use` / `tool_result` blocks (consecutive results in one user turn),
 * thinking blocks sent back with their signatures, tools, `tool_choice`, `thinking` and
 * structured output through a forced tool out; text, tool uses, thinking and usage in.
 */
import type { CachedChoice, CachedCompletion } from '../model/answer.js';
import type { ChatMessage, ImagePart, ReasoningPart, TextPart, ToolCall } from '../model/chat.js';
import type { EffectiveParams, Usage } from '../model/request.js';
import { tokenCount } from '../model/answer.js';
import { makeUsage } from './provider.js';

type Json = Record<string, unknown>;

/** The tool a JSON answer is forced through: its input is the answer. */
export const JSON_TOOL = 'json_answer';

/** `max_tokens` is required by the Messages API; this is sent when no maxTokens is set. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

/** True when every message is plain text as before the chat contract: sent as it was. */
function allPlain(messages: ChatMessage[]): boolean {
  for (const m of messages) {
    if (typeof m.content !== 'string' || m.role === 'tool' || m.role === 'developer') return false;
    if (m.role === 'assistant' && (m.toolCalls !== undefined || m.reasoning !== undefined)) {
      return false;
    }
  }
  return true;
}

function textOf(content: string | TextPart[] | null): string {
  if (content === null) return '';
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

/** An image part as an image block: a data URL as base64, any other URL as a url source. */
function imageBlock(part: ImagePart): Json {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(part.url);
  const source = match
    ? { type: 'base64', media_type: match[1], data: match[2] }
    : { type: 'url', url: part.url };
  return { type: 'image', source };
}

function userContent(content: string | (TextPart | ImagePart)[]): unknown {
  if (typeof content === 'string') return content;
  return content.map((p) => (p.type === 'text' ? { type: 'text', text: p.text } : imageBlock(p)));
}

function reasoningBlock(part: ReasoningPart): Json {
  return part.type === 'reasoning'
    ? { type: 'thinking', thinking: part.text, signature: part.signature ?? '' }
    : { type: 'redacted_thinking', data: part.data };
}

/** Tool-call arguments (JSON text) as the `input` object Anthropic takes. */
function inputOf(call: ToolCall): unknown {
  if (call.arguments.trim() === '') return {};
  try {
    return JSON.parse(call.arguments) as unknown;
  } catch {
    return {};
  }
}

function assistantContent(m: Extract<ChatMessage, { role: 'assistant' }>): unknown {
  if (m.toolCalls === undefined && m.reasoning === undefined) return textOf(m.content);
  const blocks: Json[] = (m.reasoning ?? []).map(reasoningBlock);
  const text = textOf(m.content);
  if (text !== '') blocks.push({ type: 'text', text });
  for (const call of m.toolCalls ?? []) {
    blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: inputOf(call) });
  }
  return blocks;
}

function toolResult(m: Extract<ChatMessage, { role: 'tool' }>): Json {
  const content =
    typeof m.content === 'string'
      ? m.content
      : m.content.map((p) => ({ type: 'text', text: p.text }));
  return { type: 'tool_result', tool_use_id: m.toolCallId, content };
}

/** The `system` prompt and `messages` of a chat in Anthropic's shape. */
export function anthropicMessages(messages: ChatMessage[]): { system: string[]; turns: Json[] } {
  const system: string[] = [];
  const turns: Json[] = [];
  if (allPlain(messages)) {
    for (const m of messages) {
      if (m.role === 'system') system.push(m.content as string);
      else turns.push({ role: m.role === 'assistant' ? 'assistant' : 'user', content: m.content });
    }
    return { system, turns };
  }
  let results: Json[] | undefined;
  for (const m of messages) {
    if (m.role === 'tool') {
      if (results !== undefined) results.push(toolResult(m));
      else {
        results = [toolResult(m)];
        turns.push({ role: 'user', content: results });
      }
      continue;
    }
    results = undefined;
    if (m.role === 'user') turns.push({ role: 'user', content: userContent(m.content) });
    else if (m.role === 'assistant')
      turns.push({ role: 'assistant', content: assistantContent(m) });
    else system.push(textOf(m.content));
  }
  return { system, turns };
}

/** Writes tools, tool choice, thinking and a forced JSON tool of `params` into `body`. */
export function writeChatOptions(body: Json, params: EffectiveParams): void {
  const tools: Json[] = (params.tools ?? []).map((t) => {
    const tool: Json = { name: t.name, input_schema: t.parameters };
    if (t.description !== undefined) tool.description = t.description;
    if (t.strict !== undefined) tool.strict = t.strict;
    return tool;
  });
  let choice: Json | undefined;
  const c = params.toolChoice;
  if (c !== undefined) {
    choice =
      typeof c === 'object'
        ? { type: 'tool', name: c.name }
        : { type: c === 'required' ? 'any' : c };
  }
  const format = params.responseFormat;
  if (format?.type === 'json') {
    tools.push({
      name: JSON_TOOL,
      description: 'Give the answer as this tool\u2019s input.',
      input_schema: format.schema ?? { type: 'object' },
    });
    choice = { type: 'tool', name: JSON_TOOL };
  }
  if (params.parallelToolCalls === false) {
    choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  }
  if (tools.length > 0) body.tools = tools;
  if (choice !== undefined) body.tool_choice = choice;
  const budget = thinkingBudget(params);
  if (budget !== undefined) body.thinking = { type: 'enabled', budget_tokens: budget };
}

/**
 * Thinking budgets for an effort level, as LiteLLM maps them (Anthropic takes a budget of
 * at least 1024 tokens, not a level): callers written for OpenAI's `reasoning_effort` get
 * thinking rather than a refusal.
 */
const EFFORT_BUDGET = { low: 1024, medium: 2048, high: 4096 } as const;

/** The thinking budget of a request: its own, or its effort's; undefined without reasoning. */
export function thinkingBudget(params: Pick<EffectiveParams, 'reasoning'>): number | undefined {
  const reasoning = params.reasoning;
  if (reasoning === undefined) return undefined;
  return reasoning.budgetTokens ?? (reasoning.effort && EFFORT_BUDGET[reasoning.effort]);
}

/** `max_tokens`: the caller's, or the default above the thinking budget. */
export function maxTokensOf(params: EffectiveParams): number {
  return params.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS + (thinkingBudget(params) ?? 0);
}

/**
 * The parts of an answer's content blocks: text, tool uses as calls (input as JSON text),
 * thinking as reasoning and reasoning parts with their signatures.
 */
export function contentOf(blocks: Array<Json | null>): Omit<CachedChoice, 'finishReason'> {
  let text = '';
  let reasoning = '';
  const calls: ToolCall[] = [];
  const parts: ReasoningPart[] = [];
  for (const block of blocks) {
    if (block?.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block?.type === 'tool_use' && typeof block.name === 'string') {
      const id = typeof block.id === 'string' ? block.id : '';
      calls.push({ id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
    } else if (block?.type === 'thinking' && typeof block.thinking === 'string') {
      reasoning += block.thinking;
      const part: ReasoningPart = { type: 'reasoning', text: block.thinking };
      if (typeof block.signature === 'string') part.signature = block.signature;
      parts.push(part);
    } else if (block?.type === 'redacted_thinking' && typeof block.data === 'string') {
      parts.push({ type: 'redacted-reasoning', data: block.data });
    }
  }
  const out: Omit<CachedChoice, 'finishReason'> = { text };
  if (calls.length > 0) out.toolCalls = calls;
  if (reasoning !== '') out.reasoning = reasoning;
  if (parts.length > 0) out.reasoningParts = parts;
  return out;
}

/**
 * The answer to a request for JSON: the forced tool's input is its text (what text came with it
 * is not the answer), and it stopped, unless
 * the model called other tools too.
 */
export function jsonAnswer(completion: CachedCompletion): CachedCompletion {
  const forced = completion.toolCalls?.find((c) => c.name === JSON_TOOL);
  if (forced === undefined) return completion;
  const out: CachedCompletion = { ...completion, text: forced.arguments };
  const others = completion.toolCalls!.filter((c) => c !== forced);
  if (others.length > 0) out.toolCalls = others;
  else {
    delete out.toolCalls;
    if (out.finishReason === 'tool_calls') out.finishReason = 'stop';
  }
  return out;
}

/** Token usage: prompt tokens count those read from and written to the cache too. */
export function anthropicUsage(usage: Json): Usage {
  const read = tokenCount(usage.cache_read_input_tokens);
  const write = tokenCount(usage.cache_creation_input_tokens);
  const prompt = (tokenCount(usage.input_tokens) ?? 0) + (read ?? 0) + (write ?? 0);
  const out = makeUsage(prompt, usage.output_tokens);
  if (read !== undefined) out.cachedPromptTokens = read;
  if (write !== undefined) out.cacheWriteTokens = write;
  const details = usage.output_tokens_details as Json | null | undefined;
  const thinking = tokenCount(details?.thinking_tokens);
  if (thinking !== undefined) out.reasoningTokens = thinking;
  return out;
}
