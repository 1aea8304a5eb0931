/**
 * What a request says about tools, normalized across the three formats: the tools offered, the
 * tool calls of assistant turns and the tool results sent back.
 */
import type { TestTool, TestToolCall } from '../scripted-types.js';
import type { TestChatMessage, TestChatRequest } from '../types.js';
import { flattenContent, isRecord } from './shared.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** JSON text for arguments sent as text (OpenAI) or as an object (Anthropic, Ollama). */
const argumentsText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? {}));

/** OpenAI `{ id, function: { name, arguments } }` or Ollama `{ function: { name, arguments } }`. */
function functionCalls(calls: unknown): TestToolCall[] | undefined {
  if (!Array.isArray(calls)) return undefined;
  return calls.map((call: unknown, i) => {
    const c = isRecord(call) ? call : {};
    const fn = isRecord(c.function) ? c.function : {};
    return {
      id: str(c.id) ?? `call_${i}`,
      name: str(fn.name) ?? '',
      arguments: argumentsText(fn.arguments),
    };
  });
}

/** An OpenAI or Ollama message, its tool calls and tool call id included. */
export function functionMessage(m: unknown): TestChatMessage {
  const msg = isRecord(m) ? m : {};
  const toolCalls = functionCalls(msg.tool_calls);
  const toolCallId = str(msg.tool_call_id);
  const name = str(msg.name) ?? str(msg.tool_name);
  return {
    role: str(msg.role) ?? '',
    content: flattenContent(msg.content),
    ...(toolCalls && { toolCalls }),
    ...(toolCallId !== undefined && { toolCallId }),
    ...(name !== undefined && { name }),
  };
}

/**
 * An Anthropic message: its `tool_use` blocks become `toolCalls`, and each `tool_result` block a
 * role-`'tool'` message of its own, after the turn's other text if any.
 */
export function anthropicMessages(m: unknown): TestChatMessage[] {
  const msg = isRecord(m) ? m : {};
  const role = str(msg.role) ?? '';
  if (!Array.isArray(msg.content)) return [{ role, content: flattenContent(msg.content) }];
  const blocks = msg.content.filter(isRecord);
  const results = blocks.filter((b) => b.type === 'tool_result');
  const uses = blocks.filter((b) => b.type === 'tool_use');
  const rest = blocks.filter((b) => b.type !== 'tool_result');
  const out: TestChatMessage[] = [];
  if (results.length === 0 || rest.length > 0) {
    const toolCalls = uses.map((b) => ({
      id: str(b.id) ?? '',
      name: str(b.name) ?? '',
      arguments: argumentsText(b.input),
    }));
    out.push({ role, content: flattenContent(rest), ...(uses.length > 0 && { toolCalls }) });
  }
  for (const b of results) {
    out.push({ role: 'tool', content: flattenContent(b.content), toolCallId: str(b.tool_use_id) });
  }
  return out;
}

/** The tools offered: OpenAI and Ollama `{ function: {...} }`, Anthropic `{ name, input_schema }`. */
function toolsOf(tools: unknown): TestTool[] | undefined {
  if (!Array.isArray(tools)) return undefined;
  return tools.filter(isRecord).map((t) => {
    const fn = isRecord(t.function) ? t.function : t;
    const description = str(fn.description);
    const parameters = fn.parameters ?? fn.input_schema;
    return {
      name: str(fn.name) ?? '',
      ...(description !== undefined && { description }),
      ...(parameters !== undefined && { parameters }),
    };
  });
}

/** The `tools`, `toolChoice` and `responseFormat` fields of a parsed request, when sent. */
export function toolFields(
  b: Record<string, unknown>,
  formatField: 'response_format' | 'format' | 'output_format',
): Pick<TestChatRequest, 'tools' | 'toolChoice' | 'responseFormat'> {
  const tools = toolsOf(b.tools);
  return {
    ...(tools && { tools }),
    ...(b.tool_choice !== undefined && { toolChoice: b.tool_choice }),
    ...(b[formatField] !== undefined && { responseFormat: b[formatField] }),
  };
}
