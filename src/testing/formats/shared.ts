import type { IncomingMessage } from 'node:http';
import type { ScriptedFinishReason } from '../scripted-types.js';
import type { TestChatFormat, TestChatRequest } from '../types.js';

/** A tool call of an answer, its arguments as JSON text, as an object and in stream fragments. */
export interface WireToolCall {
  id: string;
  name: string;
  arguments: string;
  input: Record<string, unknown>;
  /** Pieces of `arguments` that join back to it exactly. */
  fragments: string[];
}

/** One generated choice: its final text, why it ended, its stream deltas and its extras. */
export interface ChoiceText {
  content: string;
  finish: ScriptedFinishReason;
  /** Pieces of `content` that join back to it exactly. */
  deltas: string[];
  toolCalls?: WireToolCall[];
  reasoning?: string;
  /** Pieces of `reasoning` that join back to it exactly. */
  reasoningDeltas?: string[];
  /** The Anthropic thinking block's signature. */
  signature?: string;
  /** An Anthropic redacted_thinking block's data. */
  redacted?: string;
}

/** Everything a wire format needs to render one answer, streamed or not. */
export interface Completion {
  /** The 1-based request number, used in ids. */
  num: number;
  /** The server's model name, echoed in every format. */
  model: string;
  /** Wall-clock time of the answer, in epoch milliseconds. */
  createdMs: number;
  /** Milliseconds from the request's arrival to the answer, for Ollama's durations. */
  elapsedMs: number;
  choices: ChoiceText[];
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens read from a cache, part of `promptTokens`. */
  cachedTokens?: number;
  /** Prompt tokens written to a cache (Anthropic), part of `promptTokens`. */
  cacheWriteTokens?: number;
  /** Reasoning tokens, part of `completionTokens`. */
  reasoningTokens?: number;
  chat: TestChatRequest;
}

/**
 * One framed stream event. `phase` tells the events before the content (`head`), the content
 * deltas and the terminating events (`tail`) apart, so stream faults know where "after N deltas"
 * falls even when there are no deltas.
 */
export interface StreamEvent {
  data: string;
  phase: 'head' | 'delta' | 'tail';
}

/** A complete error answer: status and serialized body. */
export interface ErrorAnswer {
  status: number;
  body: string;
}

/** How one chat route reads requests and writes answers, errors and streams. */
export interface WireFormat {
  readonly name: TestChatFormat;
  /** The `content-type` of a streamed answer. */
  readonly streamType: string;
  /** The error answer for missing credentials or required headers, if any. */
  deny(req: IncomingMessage, apiKey: string | undefined): ErrorAnswer | undefined;
  /** The parsed request, or the message of a 400 error. */
  parse(
    body: Record<string, unknown>,
    req: IncomingMessage,
    model: string,
  ): TestChatRequest | string;
  /** A JSON error body in this format's shape; `type` overrides the one derived from `status`. */
  errorBody(status: number, message: string, type?: string): string;
  /** The non-streamed answer. */
  answer(c: Completion): object;
  /** The whole stream, terminator included. */
  stream(c: Completion): StreamEvent[];
  /** The framed in-stream error sent by a `stream_error` fault. */
  readonly streamError: string;
  /** A framed event whose JSON is cut short, sent by a `malformed` fault on a stream. */
  readonly malformedStream: string;
}

/** Whether `v` is a plain JSON object. */
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether `v` is an integer no smaller than `min`. */
export const isCount = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min;

/** Counts whitespace-separated words: the server's stand-in for tokens. */
export const countWords = (text: string): number => text.split(/\s+/).filter(Boolean).length;

/** A string content, or the joined `text` of an array of parts; anything else is empty. */
export function flattenContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p: unknown) => (isRecord(p) && typeof p.text === 'string' ? p.text : ''))
    .join('');
}

/** The raw request headers, copied so later mutation of the request cannot change them. */
export const copyHeaders = (req: IncomingMessage): TestChatRequest['headers'] => ({
  ...req.headers,
});

/** Splits `text` into deltas of `words` words, each with its surrounding whitespace. */
export function splitDeltas(text: string, words: number): string[] {
  // Leading whitespace rides with the first word and trailing whitespace with its word, so the
  // deltas join back to exactly `text`.
  const pieces = text.match(/\s*\S+\s*/g) ?? (text === '' ? [] : [text]);
  const deltas: string[] = [];
  for (let i = 0; i < pieces.length; i += words) deltas.push(pieces.slice(i, i + words).join(''));
  return deltas;
}

/** Generates the choices of one answer: `n` copies of the reply, suffixed ` #i` after the first. */
export function buildChoices(
  reply: string,
  chat: TestChatRequest,
  chunkWords: number,
): ChoiceText[] {
  return Array.from({ length: chat.n ?? 1 }, (_, index): ChoiceText => {
    const full = index > 0 ? `${reply} #${index}` : reply;
    const words = full.split(/\s+/).filter(Boolean);
    const cut = chat.max_tokens !== undefined && words.length > chat.max_tokens;
    const content = cut ? words.slice(0, chat.max_tokens).join(' ') : full;
    return {
      content,
      finish: cut ? 'length' : 'stop',
      deltas: splitDeltas(content, chunkWords),
    };
  });
}

/** The message of an injected `status` fault. */
export const statusMessage = (status: number, statusText: string | undefined): string =>
  `Injected fault: HTTP ${status} ${statusText ?? ''}`.trimEnd();

/** The message of an injected `stream_error` fault. */
export const STREAM_ERROR_MESSAGE = 'Injected fault: stream error';
