/**
 * What the stream readers of the wire formats share: the answer they accumulate, the hand-off
 * of deltas (with the consumer's back-pressure), and the errors of a stream gone wrong. Each
 * format's reader lives in that format's file; this one imports none of them.
 */
import type { ResolvedClientConfig } from '../config/types.js';
import type { CachedCompletion } from '../model/answer.js';
import { LlmActorsError } from '../model/errors.js';
import { badResponse, tooLarge } from '../model/failures.js';
import type { StreamChunk, TokenLogprob, ToolCallDelta } from '../model/chat.js';
import type { FinishReason, Usage } from '../model/request.js';
import { scrub } from '../model/redact.js';
import { isRetryableStatus } from '../policy/classify.js';
import type { TextSink } from '../transport/http.js';
import { EventTooLongError } from '../transport/sse.js';
import type { DeltaCallback } from './provider.js';
import { StreamAnswer } from './stream-answer.js';
import { noop } from '../model/noop.js';

/** The error event a provider sent in the middle of a stream. */
export function midStreamError(
  client: string,
  message: string,
  status: number | null,
  secrets: readonly string[],
): LlmActorsError {
  const text = scrub(message, secrets).slice(0, 500);
  return new LlmActorsError('PROVIDER_ERROR', `${client}: error in the stream: ${text}`, {
    client,
    status,
    retryable: status === null || isRetryableStatus(status),
  });
}

/**
 * The text of what a provider put in an in-band error's message: a string as it is, anything
 * else as JSON (an object there read `[object Object]`, a bare string error read `unknown`).
 */
export function inBandText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return 'unknown';
  return JSON.stringify(value);
}

/** The most choices a stream may have (OpenAI's `n` goes up to 128). */
export const MAX_STREAM_CHOICES = 128;
/** The most tool calls one choice of a stream may make. */
export const MAX_STREAM_TOOL_CALLS = 1024;

/** What one token logprob counts besides its token: `{"token":"","logprob":0}` is 24 bytes. */
const LOGPROB_ENTRY_BYTES = 24;

/** What bounds a stream reader's memory. */
export type StreamLimits = Pick<ResolvedClientConfig, 'maxResponseBytes' | 'maxEventBytes'>;

/**
 * Reads one wire format's stream: decoded text in, deltas out to the attempt's callback, the
 * whole normalized answer at the end; throws typed errors. Deltas go out as soon as they are
 * parsed, so those before an error in the same piece still reach the caller.
 *
 * What it holds is bounded whatever the upstream sends: one event at most `maxEventBytes` long
 * (its parser's limit) and the answer's text at most `maxResponseBytes` (UTF-8). A stream of
 * events that carry no text holds nothing more; only the deadline ends it.
 */
export abstract class StreamReader implements TextSink {
  /** The answer so far, choice by choice. */
  protected readonly answer = new StreamAnswer();
  /** Its text, reasoning and tool-call arguments, in UTF-8 bytes. */
  private textBytes = 0;
  protected readonly client: string;
  protected readonly limits: StreamLimits;
  protected model: string;
  /** The terminator was read: the answer is whole and later events are ignored. */
  protected done = false;
  private completion: CachedCompletion | undefined;
  /** Events skipped because they were not JSON objects. */
  private skipped = 0;
  /** Told of each skipped event (the client counts them and logs, rate limited). */
  onSkipped: (why: string) => void = noop;
  private keepUp = true;
  private resume: () => void = noop;

  constructor(
    config: Pick<ResolvedClientConfig, 'name' | 'model'> & StreamLimits,
    protected readonly secrets: readonly string[],
    private readonly onDelta: DeltaCallback,
  ) {
    this.client = config.name;
    this.model = config.model;
    this.limits = config;
  }

  /** What the format ends its stream with (for the error when a stream stops short). */
  protected abstract readonly terminator: string;

  /**
   * Parses a piece of decoded text, calling {@link delta} and {@link finish} as it goes; events
   * after the terminator are ignored.
   */
  protected abstract read(text: string): void;

  /** The stream ended: parses what is left, for a format whose last line may lack its break. */
  protected readRest(): void {}

  /**
   * The body ended cleanly without the terminator: the usage to finish with when the format's
   * finish reason came (the answer is whole), else undefined.
   */
  protected finishedWithout(): Usage | undefined {
    return undefined;
  }

  /**
   * An event's JSON object, or undefined when it is not one: such an event is skipped and
   * counted (a provider's stray keep-alive or a garbled line must not cost a whole answer).
   */
  protected object(data: string): Record<string, unknown> | undefined {
    try {
      const value: unknown = JSON.parse(data);
      if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
    } catch {
      // Counted as skipped below.
    }
    this.skip('a stream event is not a JSON object');
    return undefined;
  }

  /** Skips an event that could not be read. */
  protected skip(why: string): void {
    this.skipped++;
    this.onSkipped(why);
  }

  /** Feeds decoded text; false when the consumer is behind (see {@link DeltaCallback}). */
  push(text: string, resume: () => void): boolean {
    this.keepUp = true;
    this.resume = resume;
    try {
      this.read(text);
    } catch (error) {
      if (error instanceof EventTooLongError) {
        throw tooLarge(this.client, 'a stream event', 'maxEventBytes', error.limit);
      }
      if (error instanceof LlmActorsError) throw error;
      // A stack overflow on tool arguments nested 50 000 deep was a retried PROVIDER_ERROR.
      throw badResponse(
        this.client,
        `a stream event could not be read (${(error as Error).message})`,
        error,
      );
    }
    return this.keepUp;
  }

  /**
   * The whole answer if it has come: its terminator read, or its finish reason (a stream may
   * end, or fall silent, without the terminator after it). Undefined while it is not whole.
   */
  complete(): CachedCompletion | undefined {
    this.readRest();
    if (this.completion === undefined) {
      const usage = this.finishedWithout();
      if (usage !== undefined) this.finish(usage);
    }
    return this.completion;
  }

  /**
   * The body ended cleanly: the whole answer — also without the terminator when the finish
   * reason came. Without either: BAD_RESPONSE when events were skipped (what they held is
   * lost), else NETWORK_ERROR (the stream stopped short).
   */
  end(): CachedCompletion {
    const completion = this.complete();
    if (completion !== undefined) return completion;
    if (this.skipped > 0) {
      throw badResponse(
        this.client,
        `${this.skipped} stream event(s) were not JSON and the stream ended without a finish`,
      );
    }
    throw new LlmActorsError(
      'NETWORK_ERROR',
      `${this.client}: the stream ended before ${this.terminator}`,
      { client: this.client, retryable: true },
    );
  }

  /**
   * The usage the provider reported before the stream went wrong (what it billed for a stream
   * that never finished), if any; formats that report usage only at the end have none.
   */
  paid(): Usage | undefined {
    return undefined;
  }

  /** The finish reason of choice 0. */
  protected set finishReason(reason: FinishReason) {
    this.answer.finishReason = reason;
  }

  /**
   * Hands a piece of the answer's text to the consumer. `choice` is the choice it belongs to;
   * `tag` says to name it on the chunk (a stream of several choices).
   */
  protected delta(text: string, choice = 0, tag = false): void {
    if (text === '') return;
    this.count(text);
    this.answer.text(choice, text);
    this.send(tag ? { text, choice } : { text });
  }

  /** Hands a piece of the model's reasoning to the consumer. */
  protected reasoningDelta(text: string, choice = 0, tag = false): void {
    if (text === '') return;
    this.count(text);
    this.answer.reasoning(choice, text);
    this.send(tag ? { text: '', reasoning: text, choice } : { text: '', reasoning: text });
  }

  /**
   * Hands a fragment of a tool call to the consumer. Its id and name count with the text: each
   * call keeps them, so 1024 calls named by events of a MiB each were held without bound.
   */
  protected toolCallDelta(toolCall: ToolCallDelta, choice = 0, tag = false): void {
    this.checkIndex('tool call', toolCall.index, MAX_STREAM_TOOL_CALLS);
    this.count(toolCall.arguments);
    if (toolCall.id !== undefined) this.count(toolCall.id);
    if (toolCall.name !== undefined) this.count(toolCall.name);
    this.answer.toolCall(choice, toolCall);
    this.send(tag ? { text: '', toolCall, choice } : { text: '', toolCall });
  }

  /**
   * Keeps a chunk's token logprobs, counted as their JSON would be (an entry with an empty
   * token still costs its object): a stream of logprobs without text was held without bound.
   */
  protected logprobs(tokens: TokenLogprob[], choice = 0): void {
    let bytes = 0;
    for (const t of tokens) {
      bytes += LOGPROB_ENTRY_BYTES + Buffer.byteLength(t.token);
      for (const a of t.topLogprobs ?? [])
        bytes += LOGPROB_ENTRY_BYTES + Buffer.byteLength(a.token);
    }
    this.countBytes(bytes);
    this.answer.logprobs(choice, tokens);
  }

  /**
   * Refuses an index the provider numbered a choice or a tool call with past `max`: the answer
   * is kept as an array by index, which a hostile index would grow without bound.
   */
  protected checkIndex(what: string, index: number, max: number): void {
    if (index >= 0 && index < max) return;
    throw badResponse(this.client, `a streamed ${what} index is ${index}, not 0 to ${max - 1}`);
  }

  /** Counts what the answer holds of `text` against `maxResponseBytes`. */
  protected count(text: string): void {
    this.countBytes(Buffer.byteLength(text));
  }

  private countBytes(bytes: number): void {
    this.textBytes += bytes;
    const max = this.limits.maxResponseBytes;
    if (this.textBytes > max)
      throw tooLarge(this.client, 'the streamed answer', 'maxResponseBytes', max);
  }

  private send(chunk: StreamChunk): void {
    if (!this.onDelta(chunk, this.resume)) this.keepUp = false;
  }

  /** The terminator: the answer is whole. */
  protected finish(usage: Usage): void {
    this.done = true;
    this.completion = this.answer.build(usage, this.model);
  }
}
