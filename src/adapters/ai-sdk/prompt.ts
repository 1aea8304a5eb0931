/**
 * An AI SDK prompt as llm-actors chat messages: text, images, tool calls, tool results and
 * reasoning, each in the runtime's shape.
 */
import {
  UnsupportedFunctionalityError,
  type LanguageModelV3Prompt,
  type LanguageModelV3ToolResultPart,
} from '@ai-sdk/provider';
import type {
  AssistantMessage,
  ChatMessage,
  ImagePart,
  ReasoningPart,
  TextPart,
  ToolCall,
} from '../../model/chat.js';
import { imagePart, reasoningOf } from './parts.js';

type Message = LanguageModelV3Prompt[number];
type AssistantContent = Extract<Message, { role: 'assistant' }>['content'];

/**
 * An AI SDK prompt as chat messages. A user turn of text only stays a string; one with images
 * becomes parts. An assistant turn keeps its tool calls and its reasoning (with the signatures
 * this adapter handed out); each tool result becomes a `tool` message answering its call.
 *
 * @throws UnsupportedFunctionalityError on a part the runtime cannot carry: a file that is not
 *   an image, a file in an assistant turn, a tool result made of files, a tool approval.
 */
export function toMessages(prompt: LanguageModelV3Prompt): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const message of prompt) {
    switch (message.role) {
      case 'system':
        messages.push({ role: 'system', content: message.content });
        break;
      case 'user':
        messages.push({ role: 'user', content: userContent(message.content) });
        break;
      case 'assistant':
        messages.push(assistantMessage(message.content));
        break;
      case 'tool':
        for (const part of message.content) {
          if (part.type !== 'tool-result') {
            throw new UnsupportedFunctionalityError({ functionality: `${part.type} parts` });
          }
          messages.push({ role: 'tool', toolCallId: part.toolCallId, content: resultText(part) });
        }
        break;
      default:
        throw new UnsupportedFunctionalityError({
          functionality: `role ${(message as { role: string }).role}`,
        });
    }
  }
  return messages;
}

function userContent(
  content: Extract<Message, { role: 'user' }>['content'],
): string | (TextPart | ImagePart)[] {
  if (content.every((part) => part.type === 'text')) return content.map((p) => p.text).join('');
  return content.map((part) =>
    part.type === 'text' ? { type: 'text', text: part.text } : imagePart(part),
  );
}

function assistantMessage(content: AssistantContent): AssistantMessage {
  let text = '';
  const toolCalls: ToolCall[] = [];
  const reasoning: ReasoningPart[] = [];
  for (const part of content) {
    switch (part.type) {
      case 'text':
        text += part.text;
        break;
      case 'reasoning':
        reasoning.push(...reasoningOf(part));
        break;
      case 'tool-call':
        toolCalls.push({
          id: part.toolCallId,
          name: part.toolName,
          arguments: JSON.stringify(part.input ?? {}),
        });
        break;
      default:
        // Files the model made, and results of tools the provider ran, have no runtime field.
        throw new UnsupportedFunctionalityError({
          functionality: `${part.type} parts in assistant messages`,
        });
    }
  }
  const message: AssistantMessage = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
  };
  if (toolCalls.length > 0) message.toolCalls = toolCalls;
  if (reasoning.length > 0) message.reasoning = reasoning;
  return message;
}

/** A tool result as the text the model reads: JSON values serialized, a denial said so. */
function resultText(part: LanguageModelV3ToolResultPart): string | TextPart[] {
  const output = part.output;
  switch (output.type) {
    case 'text':
    case 'error-text':
      return output.value;
    case 'json':
    case 'error-json':
      return JSON.stringify(output.value);
    case 'execution-denied':
      return `Tool execution denied${output.reason === undefined ? '' : `: ${output.reason}`}`;
    case 'content':
      return output.value.map((item) => {
        if (item.type !== 'text') {
          throw new UnsupportedFunctionalityError({
            functionality: `${item.type} items in tool results (a tool message carries text)`,
          });
        }
        return { type: 'text', text: item.text };
      });
    default:
      throw new UnsupportedFunctionalityError({
        functionality: `tool result output ${(output as { type: string }).type}`,
      });
  }
}
