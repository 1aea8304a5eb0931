/**
 * Ollama's shapes of the whole chat, outgoing: messages with `images` (base64) and
 * `tool_calls` (object arguments), role `tool` results with `tool_name`, `tools`, `format`
 * (`json` or a JSON schema) and `think`. What Ollama cannot carry (an https image, a forced
 * tool, logprobs) is refused before sending, in capabilities.ts.
 */
import type { ChatMessage } from '../model/chat.js';
import type { EffectiveParams } from '../model/request.js';

type Json = Record<string, unknown>;

/** True when every message is plain text as before the chat contract: sent as it is. */
function allPlain(messages: ChatMessage[]): boolean {
  for (const m of messages) {
    if (typeof m.content !== 'string' || m.role === 'developer') return false;
    if (m.role === 'assistant' && (m.toolCalls !== undefined || m.reasoning !== undefined)) {
      return false;
    }
    if (m.role === 'tool' && m.toolCallId !== undefined) return false;
  }
  return true;
}

/** The base64 data of a `data:` URL, or undefined for any other URL. */
export function dataUrlBase64(url: string): string | undefined {
  const match = /^data:[^;,]*;base64,(.*)$/s.exec(url);
  return match?.[1];
}

/** The messages in Ollama's shape. */
export function ollamaMessages(messages: ChatMessage[]): unknown[] {
  if (allPlain(messages)) return messages;
  const names = new Map<string, string>();
  return messages.map((m) => {
    const out: Json = { role: m.role === 'developer' ? 'system' : m.role };
    let text = '';
    const images: string[] = [];
    if (typeof m.content === 'string') text = m.content;
    else if (m.content !== null) {
      for (const part of m.content) {
        if (part.type === 'text') text += part.text;
        else {
          const data = dataUrlBase64(part.url);
          // Refused before sending (capabilities.ts); never fetched here.
          if (data === undefined) throw new Error('an image that is not a data: URL');
          images.push(data);
        }
      }
    }
    out.content = text;
    if (images.length > 0) out.images = images;
    if (m.role === 'assistant') {
      const thinking = (m.reasoning ?? [])
        .map((r) => (r.type === 'reasoning' ? r.text : ''))
        .join('');
      if (thinking !== '') out.thinking = thinking;
      if (m.toolCalls !== undefined && m.toolCalls.length > 0) {
        out.tool_calls = m.toolCalls.map((c) => {
          names.set(c.id, c.name);
          return { function: { name: c.name, arguments: toolArguments(c.arguments) } };
        });
      }
    }
    if (m.role === 'tool') {
      const name = (m.toolCallId !== undefined ? names.get(m.toolCallId) : undefined) ?? m.name;
      if (name !== undefined) out.tool_name = name;
    }
    return out;
  });
}

/** A call's JSON text arguments as the object Ollama wants ({} when empty). */
function toolArguments(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error('tool call arguments that are not JSON');
  }
}

/** Writes the chat options of `params` into an Ollama body. */
export function writeOllamaOptions(body: Json, params: EffectiveParams): void {
  if (params.tools !== undefined && params.toolChoice !== 'none') {
    body.tools = params.tools.map((t) => {
      const fn: Json = { name: t.name, parameters: t.parameters };
      if (t.description !== undefined) fn.description = t.description;
      return { type: 'function', function: fn };
    });
  }
  const format = params.responseFormat;
  if (format?.type === 'json') body.format = format.schema ?? 'json';
  // A level is what Ollama's `think` takes for models with levels (gpt-oss); others take true.
  if (params.reasoning !== undefined) body.think = params.reasoning.effort ?? true;
}
