/** A tool call a scripted answer makes. */
export interface ScriptedToolCall {
  /** The call's id; default `call_<request>_<i>` (Anthropic: `toolu_<request>_<i>`). */
  id?: string;
  /** The tool's name. */
  name: string;
  /**
   * The arguments: an object, or its JSON text. OpenAI sends the JSON text (streamed in
   * fragments), Anthropic an `input` object (streamed as `input_json_delta`), Ollama an object.
   */
  arguments: Record<string, unknown> | string;
}

/** Why a scripted answer ended, rendered in each format's own words. */
export type ScriptedFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * A scripted answer: what the model "says" instead of the `reply` text, in any wire format,
 * plain or streamed. Every field is optional; an empty object answers with an empty text.
 */
export interface ScriptedAnswer {
  /** The assistant's text. */
  text?: string;
  /** A JSON answer: the text is this value serialized (it takes precedence over `text`). */
  json?: unknown;
  /** Tool calls, in order; the finish reason defaults to `'tool_calls'` when there are any. */
  toolCalls?: ScriptedToolCall[];
  /**
   * Visible reasoning: OpenAI `reasoning_content`, an Anthropic `thinking` block (with
   * `reasoningSignature`), Ollama `message.thinking`. Streamed before the text, word by word.
   */
  reasoning?: string;
  /** The Anthropic thinking block's signature; default `sig_<request>`. Other formats ignore it. */
  reasoningSignature?: string;
  /** An Anthropic `redacted_thinking` block's opaque `data`, sent first; other formats ignore it. */
  redactedReasoning?: string;
  /**
   * The finish reason; default `'tool_calls'` with tool calls, else `'stop'`. OpenAI sends it
   * as is; Anthropic as `end_turn`, `max_tokens`, `tool_use` or `refusal`; Ollama's
   * `done_reason` is `length` for `'length'`, else `stop`.
   */
  finishReason?: ScriptedFinishReason;
  /**
   * Usage overrides. By default tokens are words: prompt tokens those of the messages, completion
   * tokens those of the text, reasoning and tool arguments, reasoning tokens those of `reasoning`.
   * `cachedPromptTokens` (part of `promptTokens`): OpenAI `prompt_tokens_details.cached_tokens`,
   * Anthropic `cache_read_input_tokens` (its `input_tokens` leaves cached ones out).
   * `cacheWriteTokens`: Anthropic `cache_creation_input_tokens`, likewise left out of
   * `input_tokens`. `reasoningTokens` (part of `completionTokens`): OpenAI
   * `completion_tokens_details.reasoning_tokens`.
   */
  usage?: {
    promptTokens?: number;
    completionTokens?: number;
    cachedPromptTokens?: number;
    cacheWriteTokens?: number;
    reasoningTokens?: number;
  };
}

/** A tool call found in a request's history, normalized across formats. */
export interface TestToolCall {
  id: string;
  name: string;
  /** JSON text (Anthropic `input` and Ollama object arguments serialized). */
  arguments: string;
}

/** A tool definition a request offers, normalized across formats. */
export interface TestTool {
  name: string;
  description?: string;
  /** OpenAI and Ollama `function.parameters`, Anthropic `input_schema`. */
  parameters?: unknown;
}
