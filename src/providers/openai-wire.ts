/**
 * The OpenAI Chat Completions shapes of the whole chat, both ways: messages with parts, tool
 * calls and tool results, tools, tool choice, response format, reasoning effort and logprobs
 * out; text in content-part arrays, tool calls, reasoning, logprobs and usage details in.
 */
import type { ChatMessage, TokenLogprob, ToolCall } from '../model/chat.js';
import type { EffectiveParams, Usage } from '../model/request.js';
import { tokenCount } from '../model/answer.js';
import { makeUsage } from './provider.js';

type Json = Record<string, unknown>;

/** True when every message is plain text as before the chat contract: sent as it is. */
function allPlain(messages: ChatMessage[]): boolean {
  for (const m of messages) {
    if (typeof m.content !== 'string') return false;
    if (m.role === 'assistant' && (m.toolCalls !== undefined || m.reasoning !== undefined)) {
      return false;
    }
    if (m.role === 'tool' && m.toolCallId !== undefined) return false;
  }
  return true;
}

/** The messages in OpenAI's shape. */
export function openaiMessages(messages: ChatMessage[]): unknown[] {
  return allPlain(messages) ? messages : messages.map(openaiMessage);
}

function openaiMessage(m: ChatMessage): Json {
  const out: Json = { role: m.role };
  out.content =
    typeof m.content === 'string' || m.content === null
      ? m.content
      : m.content.map((part) =>
          part.type === 'text' ? part : { type: 'image_url', image_url: { url: part.url } },
        );
  if (m.name !== undefined) out.name = m.name;
  // Reasoning parts are not sent back: Chat Completions has no input field for them.
  if (m.role === 'assistant' && m.toolCalls !== undefined && m.toolCalls.length > 0) {
    out.tool_calls = m.toolCalls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
  }
  if (m.role === 'tool' && m.toolCallId !== undefined) out.tool_call_id = m.toolCallId;
  return out;
}

/** Writes the chat options of `params` into `body`. */
export function writeChatOptions(body: Json, params: EffectiveParams): void {
  if (params.tools !== undefined) {
    body.tools = params.tools.map((t) => {
      const fn: Json = { name: t.name, parameters: t.parameters };
      if (t.description !== undefined) fn.description = t.description;
      if (t.strict !== undefined) fn.strict = t.strict;
      return { type: 'function', function: fn };
    });
  }
  const choice = params.toolChoice;
  if (choice !== undefined) {
    body.tool_choice =
      typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
  }
  if (params.parallelToolCalls !== undefined) body.parallel_tool_calls = params.parallelToolCalls;
  const format = params.responseFormat;
  if (format?.type === 'json') {
    if (format.schema === undefined) {
      body.response_format = { type: 'json_object' };
    } else {
      const spec: Json = { name: format.name ?? 'response', schema: format.schema };
      if (format.strict !== undefined) spec.strict = format.strict;
      body.response_format = { type: 'json_schema', json_schema: spec };
    }
  }
  if (params.reasoning?.effort !== undefined) body.reasoning_effort = params.reasoning.effort;
  if (params.logprobs !== undefined) {
    body.logprobs = true;
    if (typeof params.logprobs === 'number') body.top_logprobs = params.logprobs;
  }
}

/** The text of a `content`: a string, or the text of its parts (`text`, `output_text`). */
export function contentText(content: unknown): string | undefined {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  let text = '';
  for (const part of content as Array<Json | null>) {
    if (typeof part?.text === 'string' && (part.type === 'text' || part.type === 'output_text')) {
      text += part.text;
    }
  }
  return text;
}

/**
 * The model's visible reasoning, whatever the server calls it: `reasoning_content`,
 * `reasoning`, or Mistral's `thinking` parts in the content.
 */
export function reasoningText(message: Json | undefined): string | undefined {
  const r = message?.reasoning_content ?? message?.reasoning;
  if (typeof r === 'string') return r;
  if (!Array.isArray(message?.content)) return undefined;
  let text: string | undefined;
  for (const part of message.content as Array<Json | null>) {
    if (part?.type !== 'thinking') continue;
    const thinking = part.thinking;
    text = (text ?? '') + (typeof thinking === 'string' ? thinking : (contentText(thinking) ?? ''));
  }
  return text;
}

/** Tool-call arguments as JSON text (some servers send an object). */
export function argumentsText(args: unknown): string {
  if (typeof args === 'string') return args;
  return args === undefined || args === null ? '' : JSON.stringify(args);
}

/** The tool calls of an answer's message (and a legacy `function_call`), or undefined. */
export function toolCallsOf(message: Json | undefined): ToolCall[] | undefined {
  const calls: ToolCall[] = [];
  if (Array.isArray(message?.tool_calls)) {
    for (const c of message.tool_calls as Array<Json | null>) {
      const fn = c?.function as Json | undefined;
      if (typeof fn?.name !== 'string') continue;
      calls.push({
        id: typeof c?.id === 'string' ? c.id : '',
        name: fn.name,
        arguments: argumentsText(fn.arguments),
      });
    }
  }
  const legacy = message?.function_call as Json | undefined;
  if (typeof legacy?.name === 'string' && legacy.name !== '') {
    calls.push({ id: '', name: legacy.name, arguments: argumentsText(legacy.arguments) });
  }
  return calls.length > 0 ? calls : undefined;
}

/** A choice's token logprobs (`logprobs.content`), or undefined. */
export function logprobsOf(logprobs: unknown): TokenLogprob[] | undefined {
  const content = (logprobs as Json | null | undefined)?.content;
  if (!Array.isArray(content)) return undefined;
  return (content as Json[]).map((t) => {
    const out: TokenLogprob = { token: String(t.token), logprob: Number(t.logprob) };
    if (Array.isArray(t.top_logprobs)) {
      out.topLogprobs = (t.top_logprobs as Json[]).map((a) => ({
        token: String(a.token),
        logprob: Number(a.logprob),
      }));
    }
    return out;
  });
}

/** Usage with the provider's own total and its cached-prompt and reasoning counts. */
export function openaiUsage(raw: unknown): Usage {
  const u = (raw ?? {}) as Json;
  const usage = makeUsage(u.prompt_tokens, u.completion_tokens, u.total_tokens);
  const cached =
    tokenCount((u.prompt_tokens_details as Json | null | undefined)?.cached_tokens) ??
    tokenCount(u.prompt_cache_hit_tokens);
  if (cached !== undefined) usage.cachedPromptTokens = cached;
  const reasoning = tokenCount(
    (u.completion_tokens_details as Json | null | undefined)?.reasoning_tokens,
  );
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  return usage;
}

/** The HTTP status an in-band stream error names (Groq `status_code`, OpenRouter `code`). */
export function inBandStatus(error: Json): number | null {
  for (const value of [error.status_code, error.status, error.code]) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 100) return value;
  }
  return error.type === 'invalid_request_error' ? 400 : null;
}
