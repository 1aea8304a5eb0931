/**
 * Ax's chat prompt as llm-actors chat messages: text only, tool turns as Ax's own prompt-mode
 * emulation words them.
 */
import { AxMediaNotSupportedError, type AxChatRequest } from '@ax-llm/ax';
import type { ChatMessage } from '../../model/request.js';
import { invalid } from './errors.js';

type ChatPromptItem = AxChatRequest['chatPrompt'][number];
type UserContent = Extract<ChatPromptItem, { role: 'user' }>['content'];

// Ax's names for what a user content part carries, as AxMediaNotSupportedError words them.
const MEDIA_NAMES: Record<string, string> = {
  image: 'Images',
  audio: 'Audio',
  file: 'Files',
  url: 'URLs',
};

/**
 * The messages of an Ax chat request sent by the service named `service` for `client`.
 *
 * @throws LlmActorsError INVALID_REQUEST on native functions, a forced function call or an
 *   unknown role; AxMediaNotSupportedError on a user part that is not text.
 */
export function toMessages(
  req: Readonly<AxChatRequest<unknown>>,
  client: string,
  service: string,
): ChatMessage[] {
  if (req.functions !== undefined && req.functions.length > 0) {
    throw invalid(
      client,
      `functions: llm-actors has no native tool calling; let Ax emulate tools in the prompt (functionCallMode 'auto' or 'prompt', not 'native')`,
    );
  }
  if (req.functionCall === 'required' || typeof req.functionCall === 'object') {
    throw invalid(client, 'functionCall: no native tool calling to force');
  }
  return req.chatPrompt.map((m) => toMessage(m, client, service));
}

function toMessage(m: Readonly<ChatPromptItem>, client: string, service: string): ChatMessage {
  switch (m.role) {
    case 'system':
      return { role: 'system', content: m.content };
    case 'user':
      return named({ role: 'user', content: userText(m.content, service) }, m.name);
    case 'assistant':
      // Native function calls are dropped, as Ax itself does for prompt-mode history.
      return named({ role: 'assistant', content: m.content ?? '' }, m.name);
    case 'function':
      // A tool result goes back as a user turn, as in Ax's own prompt-mode emulation.
      return { role: 'user', content: m.result };
    default:
      throw invalid(
        client,
        `chatPrompt: unknown role ${JSON.stringify((m as { role: unknown }).role)}`,
      );
  }
}

function userText(content: UserContent, service: string): string {
  if (typeof content === 'string') return content;
  let text = '';
  for (const part of content) {
    if (part.type !== 'text') {
      throw new AxMediaNotSupportedError(MEDIA_NAMES[part.type] ?? part.type, service);
    }
    text += part.text;
  }
  return text;
}

function named(m: ChatMessage, name: string | undefined): ChatMessage {
  return name === undefined ? m : { ...m, name };
}
