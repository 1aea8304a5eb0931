/**
 * Ax's chat prompt as llm-actors chat messages: text and images, assistant function calls and
 * thought blocks, function results as tool messages answering their call.
 */
import { AxMediaNotSupportedError, type AxChatRequest } from '@ax-llm/ax';
import type {
  AssistantMessage,
  ChatMessage,
  ImagePart,
  ReasoningPart,
  TextPart,
} from '../../model/chat.js';
import { invalid } from './errors.js';

type ChatPromptItem = AxChatRequest['chatPrompt'][number];
type UserContent = Extract<ChatPromptItem, { role: 'user' }>['content'];
type AssistantItem = Extract<ChatPromptItem, { role: 'assistant' }>;

// Ax's names for what a user content part carries, as AxMediaNotSupportedError words them.
const MEDIA_NAMES: Record<string, string> = {
  audio: 'Audio',
  file: 'Files',
  url: 'URLs',
};

/**
 * The messages of an Ax chat request sent by the service named `service` for `client`.
 *
 * @throws LlmActorsError INVALID_REQUEST on an unknown role; AxMediaNotSupportedError on a
 *   user part that is neither text nor an image.
 */
export function toMessages(
  req: Readonly<AxChatRequest<unknown>>,
  client: string,
  service: string,
): ChatMessage[] {
  return req.chatPrompt.map((m) => toMessage(m, client, service));
}

function toMessage(m: Readonly<ChatPromptItem>, client: string, service: string): ChatMessage {
  switch (m.role) {
    case 'system':
      return { role: 'system', content: m.content };
    case 'user':
      return named({ role: 'user', content: userContent(m.content, service) }, m.name);
    case 'assistant':
      return named(assistantMessage(m), m.name);
    case 'function':
      return { role: 'tool', toolCallId: m.functionId, content: m.result };
    default:
      throw invalid(
        client,
        `chatPrompt: unknown role ${JSON.stringify((m as { role: unknown }).role)}`,
      );
  }
}

/** Text alone stays a string; with images, parts (an image as a base64 data URL). */
function userContent(content: UserContent, service: string): string | (TextPart | ImagePart)[] {
  if (typeof content === 'string') return content;
  if (content.every((part) => part.type === 'text')) return content.map((p) => p.text).join('');
  return content.map((part) => {
    if (part.type === 'text') return { type: 'text', text: part.text };
    if (part.type === 'image') {
      return { type: 'image', url: `data:${part.mimeType};base64,${part.image}` };
    }
    throw new AxMediaNotSupportedError(MEDIA_NAMES[part.type] ?? part.type, service);
  });
}

function assistantMessage(m: Readonly<AssistantItem>): AssistantMessage {
  const calls = m.functionCalls ?? [];
  const message: AssistantMessage = {
    role: 'assistant',
    content: (m.content ?? '') === '' && calls.length > 0 ? null : (m.content ?? ''),
  };
  if (calls.length > 0) {
    message.toolCalls = calls.map((c) => ({
      id: c.id,
      name: c.function.name,
      arguments: argumentsText(c.function.params),
    }));
  }
  const reasoning = reasoningOf(m);
  if (reasoning.length > 0) message.reasoning = reasoning;
  return message;
}

/** Ax keeps a call's params as the model's JSON text or as the object it parsed. */
function argumentsText(params: string | object | undefined): string {
  if (params === undefined) return '{}';
  return typeof params === 'string' ? params : JSON.stringify(params);
}

/**
 * The thought blocks Ax kept of an earlier answer (signed and encrypted ones as they came), or
 * its plain thought.
 */
function reasoningOf(m: Readonly<AssistantItem>): ReasoningPart[] {
  if (m.thoughtBlocks !== undefined && m.thoughtBlocks.length > 0) {
    return m.thoughtBlocks.map((b) =>
      b.encrypted
        ? { type: 'redacted-reasoning', data: b.data }
        : b.signature === undefined
          ? { type: 'reasoning', text: b.data }
          : { type: 'reasoning', text: b.data, signature: b.signature },
    );
  }
  return m.thought === undefined || m.thought === ''
    ? []
    : [{ type: 'reasoning', text: m.thought }];
}

function named(m: ChatMessage, name: string | undefined): ChatMessage {
  return name === undefined ? m : { ...m, name };
}
