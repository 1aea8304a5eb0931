/**
 * What each wire format can carry of the whole chat. The openai format carries all of it but a
 * thinking budget; the anthropic format all of it but logprobs (Anthropic has none) and JSON
 * while thinking; the ollama format all of it but a forced tool,
 * logprobs, images that are not `data:` URLs, `parallelToolCalls: false`, strict tools and a
 * thinking budget (it takes a level); the driver all of it (it
 * gets the whole request). A request that needs more is INVALID_REQUEST naming the provider
 * and the field, never sent with the field dropped.
 */
import type { ResolvedClientConfig } from '../config/types.js';
import type { ChatMessage } from '../model/chat.js';
import { invalidRequest } from '../model/failures.js';
import type { RequestOptions } from '../model/request.js';
import { thinkingBudget } from './anthropic-wire.js';
import { dataUrlBase64 } from './ollama-wire.js';

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
  if (config.provider === 'anthropic') {
    refuseForAnthropic(config, messages, options);
    return;
  }
  if (config.provider === 'ollama') refuseForOllama(config, messages, options);
}

function refuseForOllama(
  config: Pick<ResolvedClientConfig, 'name' | 'defaults'>,
  messages: ChatMessage[],
  options: RequestOptions | undefined,
): void {
  const where = (key: 'logprobs' | 'toolChoice' | 'parallelToolCalls' | 'reasoning' | 'tools') =>
    options?.[key] !== undefined ? `options.${key}` : `defaults.${key}`;
  const refuse = (field: string, why: string) => {
    throw invalidRequest(`${field}: the ollama provider cannot carry this (${why})`, config.name);
  };
  if ((options?.reasoning ?? config.defaults.reasoning)?.budgetTokens !== undefined) {
    refuse(`${where('reasoning')}.budgetTokens`, 'Ollama takes reasoning.effort as a level');
  }
  const strict = (options?.tools ?? config.defaults.tools)?.findIndex((t) => t.strict === true);
  if (strict !== undefined && strict >= 0) {
    refuse(`${where('tools')}[${strict}].strict`, 'Ollama does not enforce a tool schema');
  }
  if ((options?.logprobs ?? config.defaults.logprobs) !== undefined) {
    refuse(where('logprobs'), 'Ollama returns no logprobs');
  }
  const choice = options?.toolChoice ?? config.defaults.toolChoice;
  if (choice !== undefined && choice !== 'auto' && choice !== 'none') {
    refuse(where('toolChoice'), "Ollama forces no tool: use 'auto' or 'none'");
  }
  if ((options?.parallelToolCalls ?? config.defaults.parallelToolCalls) === false) {
    refuse(where('parallelToolCalls'), 'Ollama cannot forbid parallel tool calls');
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (Array.isArray(m.content)) {
      for (let j = 0; j < m.content.length; j++) {
        const part = m.content[j]!;
        if (part.type === 'image' && dataUrlBase64(part.url) === undefined) {
          refuse(`messages[${i}].content[${j}].url`, 'Ollama takes base64 images: use a data: URL');
        }
      }
    }
    if (m.role !== 'assistant' || m.toolCalls === undefined) continue;
    for (let j = 0; j < m.toolCalls.length; j++) {
      const args = m.toolCalls[j]!.arguments;
      if (args.trim() !== '' && !isJsonObject(args)) {
        refuse(`messages[${i}].toolCalls[${j}].arguments`, 'Ollama takes them as a JSON object');
      }
    }
  }
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function refuseForAnthropic(
  config: Pick<ResolvedClientConfig, 'name' | 'defaults'>,
  messages: ChatMessage[],
  options: RequestOptions | undefined,
): void {
  // A tool_result block must name the tool_use it answers.
  const orphan = messages.findIndex((m) => m.role === 'tool' && m.toolCallId === undefined);
  if (orphan >= 0) {
    throw invalidRequest(
      `messages[${orphan}].toolCallId: the anthropic provider needs it (a tool result answers a call)`,
      config.name,
    );
  }
  const where = (key: 'logprobs' | 'responseFormat') =>
    options?.[key] !== undefined ? `options.${key}` : `defaults.${key}`;
  if ((options?.logprobs ?? config.defaults.logprobs) !== undefined) {
    throw invalidRequest(
      `${where('logprobs')}: the anthropic provider cannot carry this (Anthropic returns no logprobs)`,
      config.name,
    );
  }
  const reasoning = options?.reasoning ?? config.defaults.reasoning;
  const format = options?.responseFormat ?? config.defaults.responseFormat;
  if (format?.type === 'json' && thinkingBudget({ reasoning }) !== undefined) {
    // JSON goes through a forced tool, and Anthropic forces no tool while it thinks.
    throw invalidRequest(
      `${where('responseFormat')}: the anthropic provider cannot carry JSON with reasoning (Anthropic forces no tool while thinking)`,
      config.name,
    );
  }
}
