/**
 * What each wire format can carry of the whole chat. The openai format carries all of it; the
 * others carry plain text only, for now: a request that needs more is INVALID_REQUEST naming
 * the provider and the field, never sent with the field dropped.
 */
import type { RequestDefaults, ResolvedClientConfig } from '../config/types.js';
import type { ChatMessage } from '../model/chat.js';
import { CHAT_OPTION_KEYS } from '../model/chat-options.js';
import { invalidRequest } from '../model/failures.js';
import type { RequestOptions } from '../model/request.js';

/** Throws INVALID_REQUEST when the client's provider cannot carry what the request uses. */
export function refuseUncarried(
  config: Pick<ResolvedClientConfig, 'name' | 'provider' | 'defaults'>,
  messages: ChatMessage[],
  options: RequestOptions | undefined,
): void {
  if (config.provider === 'openai') {
    const budget = (options?.reasoning ?? config.defaults.reasoning)?.budgetTokens;
    if (budget === undefined) return;
    throw invalidRequest(
      'reasoning.budgetTokens: the openai provider cannot carry this (it takes reasoning.effort)',
      config.name,
    );
  }
  const field = uncarriedField(messages, options, config.defaults);
  if (field !== undefined) {
    throw invalidRequest(
      `${field}: the ${config.provider} provider cannot carry this yet (only the openai provider does)`,
      config.name,
    );
  }
}

function uncarriedField(
  messages: ChatMessage[],
  options: RequestOptions | undefined,
  defaults: RequestDefaults,
): string | undefined {
  for (const key of CHAT_OPTION_KEYS) {
    const value = options?.[key] ?? defaults[key];
    if (value === undefined) continue;
    if (key === 'responseFormat' && (value as { type: string }).type === 'text') continue;
    return options?.[key] !== undefined ? `options.${key}` : `defaults.${key}`;
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role === 'developer') return `messages[${i}].role`;
    if (m.role === 'assistant' && m.toolCalls !== undefined) return `messages[${i}].toolCalls`;
    if (m.role === 'assistant' && m.reasoning !== undefined) return `messages[${i}].reasoning`;
    if (typeof m.content !== 'string') return `messages[${i}].content`;
    if (m.role === 'tool' && m.toolCallId !== undefined) return `messages[${i}].toolCallId`;
  }
  return undefined;
}
