/**
 * An AI SDK prompt as llm-actors chat messages.
 */
import { UnsupportedFunctionalityError, type LanguageModelV3Prompt } from '@ai-sdk/provider';
import type { ChatMessage } from '../../model/request.js';

/**
 * An AI SDK prompt as chat messages: text parts joined, reasoning left out.
 *
 * @throws UnsupportedFunctionalityError on a file, tool-call or tool-result part.
 */
export function toMessages(prompt: LanguageModelV3Prompt): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const message of prompt) {
    if (message.role === 'system') {
      messages.push({ role: 'system', content: message.content });
      continue;
    }
    let content = '';
    for (const part of message.content) {
      if (part.type === 'text') content += part.text;
      else if (part.type !== 'reasoning') {
        throw new UnsupportedFunctionalityError({
          functionality: `${part.type} parts in ${message.role} messages`,
        });
      }
    }
    messages.push({ role: message.role, content } as ChatMessage);
  }
  return messages;
}
