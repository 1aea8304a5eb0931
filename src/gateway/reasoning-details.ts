/**
 * Signed and redacted reasoning on OpenAI's wire, as OpenRouter carries it: `reasoning_details`
 * on an assistant message (`reasoning.text` with its `signature`, `reasoning.encrypted` with
 * its opaque `data`). Chat Completions has no field for a thinking block's signature, and
 * Anthropic refuses a tool loop whose thinking comes back without it: a caller that sends the
 * details back as they came keeps an Anthropic tool loop valid through the gateway.
 */
import type { ReasoningPart } from '../model/chat.js';

/** One entry of `reasoning_details`. */
export type ReasoningDetail =
  | { type: 'reasoning.text'; text: string; signature?: string; index: number }
  | { type: 'reasoning.encrypted'; data: string; index: number };

/**
 * The details of an answer's reasoning parts, or undefined when none needs them (reasoning
 * without a signature travels as `reasoning_content` alone).
 */
export function reasoningDetailsOf(
  parts: readonly ReasoningPart[] | undefined,
): ReasoningDetail[] | undefined {
  if (parts === undefined) return undefined;
  if (!parts.some((p) => p.type === 'redacted-reasoning' || p.signature !== undefined)) {
    return undefined;
  }
  return parts.map((p, index) => {
    if (p.type === 'redacted-reasoning')
      return { type: 'reasoning.encrypted', data: p.data, index };
    const detail: ReasoningDetail = { type: 'reasoning.text', text: p.text, index };
    if (p.signature !== undefined) detail.signature = p.signature;
    return detail;
  });
}

/**
 * The reasoning parts of a caller's `reasoning_details`, or an error naming the entry's
 * field. Summaries are dropped as OpenRouter drops them: they are a view, not a block.
 */
export function readReasoningDetails(
  value: unknown,
  path: string,
): ReasoningPart[] | { error: string } {
  if (!Array.isArray(value)) return { error: `${path}: expected an array` };
  const parts: ReasoningPart[] = [];
  for (let i = 0; i < value.length; i++) {
    const d = value[i] as Record<string, unknown> | null;
    const at = `${path}[${i}]`;
    if (typeof d !== 'object' || d === null) return { error: `${at}: expected an object` };
    if (d.type === 'reasoning.text') {
      if (typeof d.text !== 'string') return { error: `${at}.text: expected a string` };
      const part: ReasoningPart = { type: 'reasoning', text: d.text };
      if (typeof d.signature === 'string') part.signature = d.signature;
      else if (d.signature !== undefined && d.signature !== null) {
        return { error: `${at}.signature: expected a string` };
      }
      parts.push(part);
    } else if (d.type === 'reasoning.encrypted') {
      if (typeof d.data !== 'string') return { error: `${at}.data: expected a string` };
      parts.push({ type: 'redacted-reasoning', data: d.data });
    } else if (d.type !== 'reasoning.summary') {
      return {
        error: `${at}.type: expected reasoning.text, reasoning.encrypted or reasoning.summary`,
      };
    }
  }
  return parts;
}
