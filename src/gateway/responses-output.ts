/**
 * A Completion as a Responses API `response` object: its output items (a `reasoning` item, the
 * assistant's `message` with one `output_text` part, one `function_call` item per tool call),
 * its status and its usage, beside the request fields a Response echoes back.
 */
import { nanoid } from 'nanoid';
import type { ReasoningPart, ToolCall } from '../model/chat.js';
import type { Completion, FinishReason, Usage } from '../model/request.js';

/** The request fields a Response echoes back (instructions, tools, text, reasoning, ...). */
export type ResponseEcho = Record<string, unknown>;

/** A new id with OpenAI's prefix for its kind: `resp`, `msg`, `fc` or `rs`. */
export function newId(prefix: 'resp' | 'msg' | 'fc' | 'rs'): string {
  return `${prefix}_${nanoid()}`;
}

/** The envelope of a Response: everything but its status, output and usage. */
export interface ResponseHead {
  id: string;
  createdAt: number;
  model: string;
  echo: ResponseEcho;
}

/** A new head for a response of `model`. */
export function responseHead(model: string, echo: ResponseEcho): ResponseHead {
  return { id: newId('resp'), createdAt: Math.floor(Date.now() / 1000), model, echo };
}

/** The whole `response` object. */
export function responseObject(
  head: ResponseHead,
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed',
  output: object[],
  extra: { usage?: Usage; finish?: FinishReason; error?: { code: string; message: string } } = {},
): { output: object[]; [field: string]: unknown } {
  const incomplete = extra.finish === undefined ? undefined : incompleteReason(extra.finish);
  return {
    id: head.id,
    object: 'response',
    created_at: head.createdAt,
    status,
    completed_at: status === 'completed' ? Math.floor(Date.now() / 1000) : null,
    error: extra.error ?? null,
    incomplete_details: incomplete === undefined ? null : { reason: incomplete },
    model: head.model,
    output,
    usage: extra.usage === undefined ? null : usageBody(extra.usage),
    ...head.echo,
  };
}

/**
 * Why an answer stopped short, in the Responses API's words (undefined when it did not): a
 * token limit is `max_output_tokens`, a provider's filter `content_filter`.
 */
function incompleteReason(finish: FinishReason): string | undefined {
  if (finish === 'length') return 'max_output_tokens';
  return finish === 'content_filter' ? 'content_filter' : undefined;
}

/** The response's status for a finish reason. */
export function statusOf(finish: FinishReason): 'completed' | 'incomplete' {
  return incompleteReason(finish) === undefined ? 'completed' : 'incomplete';
}

/** A completion as its Response object; `summarize`: the reasoning item has its text as summary. */
export function responseBody(
  completion: Completion,
  head: ResponseHead,
  summarize = false,
): { output: object[] } {
  const status = statusOf(completion.finishReason);
  const items: object[] = [];
  const parts = completion.message.reasoning;
  if (completion.reasoning !== undefined || parts !== undefined) {
    const text = completion.reasoning ?? reasoningText(parts ?? []);
    items.push(reasoningItem(newId('rs'), text, parts, summarize));
  }
  const calls = completion.toolCalls ?? [];
  if (completion.text !== '' || calls.length === 0) {
    items.push(messageItem(newId('msg'), completion.text, status));
  }
  for (const call of calls) items.push(functionCallItem(newId('fc'), call, 'completed'));
  return responseObject(head, status, items, {
    usage: completion.usage,
    finish: completion.finishReason,
  });
}

function reasoningText(parts: ReasoningPart[]): string {
  return parts.map((p) => (p.type === 'reasoning' ? p.text : '')).join('');
}

/** An assistant message item with its one `output_text` part. */
export function messageItem(id: string, text: string, status: string): object {
  return { id, type: 'message', role: 'assistant', status, content: [outputText(text)] };
}

/** An `output_text` part: no annotations (the runtime has no citations) and no logprobs. */
export function outputText(text: string): object {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

/** A `function_call` item. */
export function functionCallItem(id: string, call: ToolCall, status: string): object {
  return {
    id,
    type: 'function_call',
    call_id: call.id,
    name: call.name,
    arguments: call.arguments,
    status,
  };
}

/**
 * A `reasoning` item: the text as one `reasoning_text` part and, when the assistant turn has
 * reasoning parts, those parts in `encrypted_content` — opaque to the caller, sent back as is
 * with the next turn, so that signatures (Anthropic rejects a tool loop without them) survive a
 * stateless round trip. With `summarize` (the request asked for `reasoning.summary`) the text is
 * also its one `summary_text` part: the reasoning a provider shows is all the runtime has, and
 * clients such as the AI SDK read reasoning from the summary only.
 */
export function reasoningItem(
  id: string,
  text: string,
  parts: ReasoningPart[] | undefined,
  summarize = false,
): object {
  return {
    id,
    type: 'reasoning',
    summary: summarize ? [summaryText(text)] : [],
    content: [{ type: 'reasoning_text', text }],
    encrypted_content:
      parts === undefined
        ? null
        : ENCRYPTED + Buffer.from(JSON.stringify(parts)).toString('base64url'),
  };
}

/** A `summary_text` part. */
export function summaryText(text: string): object {
  return { type: 'summary_text', text };
}

const ENCRYPTED = 'llm-actors.reasoning.';

/**
 * The reasoning parts of an `encrypted_content` this gateway gave out, or undefined for any
 * other. The runtime checks each part's shape like any other message field.
 */
export function readEncryptedReasoning(text: string): ReasoningPart[] | undefined {
  if (!text.startsWith(ENCRYPTED)) return undefined;
  try {
    const parts: unknown = JSON.parse(
      Buffer.from(text.slice(ENCRYPTED.length), 'base64url').toString('utf8'),
    );
    return Array.isArray(parts) ? (parts as ReasoningPart[]) : undefined;
  } catch {
    return undefined;
  }
}

/** Usage in the Responses API's shape: the details are always there, 0 when unknown. */
function usageBody(usage: Usage): object {
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: usage.cachedPromptTokens ?? 0 },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.totalTokens,
  };
}
