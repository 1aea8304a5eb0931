/**
 * The whole chat beyond plain text: message parts, tool calls, reasoning, tool definitions and
 * the request options that ask for them (DESIGN, "Contract, part 2"). Names are fixed.
 */

/** A JSON Schema, as an object (draft 2020-12 or 07, what the validator understands). */
export type JsonSchema = Record<string, unknown>;

/** A piece of text in a message's content. */
export interface TextPart {
  type: 'text';
  text: string;
}

/** An image: an https URL, or `data:image/<type>;base64,<data>`. */
export interface ImagePart {
  type: 'image';
  url: string;
}

/** A call the model asks for; `arguments` is JSON text. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A piece of the model's reasoning, sent back as it came (with its signature, if any). */
export type ReasoningPart =
  | { type: 'reasoning'; text: string; signature?: string }
  | { type: 'redacted-reasoning'; data: string };

/** A tool the model may call. */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: JsonSchema;
  strict?: boolean;
}

/** Whether and which tool the model must call. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** The shape of the answer: text, or JSON (checked against `schema` when given). */
export type ResponseFormat =
  { type: 'text' } | { type: 'json'; schema?: JsonSchema; name?: string; strict?: boolean };

/** How hard a reasoning model thinks. */
export interface ReasoningOptions {
  effort?: 'low' | 'medium' | 'high';
  budgetTokens?: number;
}

/** A system (or developer) turn. */
export interface SystemMessage {
  role: 'system' | 'developer';
  content: string | TextPart[];
  name?: string;
}

/** A user turn: text, and images where the provider reads them. */
export interface UserMessage {
  role: 'user';
  content: string | (TextPart | ImagePart)[];
  name?: string;
}

/** An assistant turn: text (null when it only calls tools), tool calls, reasoning. */
export interface AssistantMessage {
  role: 'assistant';
  content: string | TextPart[] | null;
  name?: string;
  toolCalls?: ToolCall[];
  reasoning?: ReasoningPart[];
}

/** The result of a tool call, answering the call with id `toolCallId`. */
export interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  content: string | TextPart[];
  name?: string;
}

/** One chat message. */
export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/** Who speaks a message. */
export type Role = ChatMessage['role'];

/** One token's log probability, with the most likely alternatives when asked for. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  topLogprobs?: Array<{ token: string; logprob: number }>;
}

/** A fragment of a streamed tool call: `id` and `name` come with its first fragment. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  arguments: string;
}

/**
 * One piece of a streamed answer. `text` is '' when the chunk carries something else: a
 * reasoning delta, a tool-call fragment. `choice` is the choice's index when `n > 1`.
 */
export interface StreamChunk {
  text: string;
  reasoning?: string;
  toolCall?: ToolCallDelta;
  choice?: number;
}
