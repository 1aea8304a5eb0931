/**
 * The caller's side of a streamed request: an async iterable of text deltas, plus the whole
 * Completion once the stream has ended.
 */
import type { CachedCompletion } from '../model/answer.js';
import type { StreamChunk } from '../model/chat.js';
import type { StreamSink } from './flight.js';
import type { Completion } from '../model/request.js';

export type { StreamChunk } from '../model/chat.js';

/** What a chunk weighs in the consumer's buffer (UTF-16 code units of what it carries). */
function weight(chunk: StreamChunk): number {
  return (
    chunk.text.length + (chunk.reasoning?.length ?? 0) + (chunk.toolCall?.arguments.length ?? 0)
  );
}

/**
 * A cached answer as a stream: each choice's reasoning, text and tool calls (one fragment each),
 * the choices named when there are several. Nothing is left to read: back-pressure is moot.
 */
export function replay(sink: StreamSink, hit: CachedCompletion): void {
  const choices = hit.choices ?? [hit];
  const tag = choices.length > 1;
  choices.forEach((c, choice) => {
    const named = tag ? { choice } : {};
    if (c.reasoning !== undefined) sink.delta({ text: '', reasoning: c.reasoning, ...named });
    if (c.text !== '') sink.delta({ text: c.text, ...named });
    c.toolCalls?.forEach(({ id, name, arguments: args }, index) =>
      sink.delta({ text: '', toolCall: { index, id, name, arguments: args }, ...named }),
    );
  });
}

/**
 * A streamed answer. Iterate it for the text as it arrives; `completion` resolves to the whole
 * Completion (text, usage, finishReason, cacheHit) when the stream ends, or rejects with the
 * error that ended it. Leaving the loop early (break, return, throw) or calling `cancel()`
 * aborts the upstream call and releases its connection; the stream then ends with ABORTED and
 * nothing is cached.
 *
 * @example
 * ```ts
 * const s = runtime.stream('gpt', [{ role: 'user', content: 'Tell me a story' }]);
 * for await (const chunk of s) process.stdout.write(chunk.text);
 * const { usage, cacheHit } = await s.completion;
 * ```
 */
export interface CompletionStream extends AsyncIterable<StreamChunk> {
  /** The whole answer, once the stream has ended. */
  readonly completion: Promise<Completion>;
  /** A group's stream: the member streaming it, known from its first delta on. */
  readonly client: string | undefined;
  /** Stops the stream now (same as leaving the loop). */
  cancel(): void;
}

type Pending = { resolve: (r: IteratorResult<StreamChunk>) => void; reject: (e: unknown) => void };

/** The consumer's unread buffer is full at this many chunks… */
export const HIGH_WATER_CHUNKS = 64;
/** …or at this many characters (UTF-16 code units: 256 KiB of ASCII text). */
export const HIGH_WATER_CHARS = 256 * 1024;

/**
 * Buffers deltas from the actor until the caller reads them. Once the caller has started
 * reading, the buffer is bounded: past the high-water mark `delta` returns false (the upstream
 * read pauses) and the drain comes when the caller has read it down to half. A caller that
 * never iterates (it only awaits `completion`) is never held back.
 */
export class StreamChannel implements StreamSink, CompletionStream {
  readonly completion: Promise<Completion>;
  client: string | undefined = undefined;
  private readonly chunks: StreamChunk[] = [];
  /** Characters in `chunks`. */
  private chars = 0;
  private pending: Pending | null = null;
  private ended = false;
  private error: unknown = undefined;
  /** The caller has asked for a chunk: from now on the buffer is bounded. */
  private reading = false;
  private drain: (() => void) | undefined;

  private cancelled = false;
  private stopRequest: (() => void) | undefined;

  constructor(start: (sink: StreamSink) => Promise<Completion>) {
    this.completion = start(this);
    // The caller may only iterate; the rejection still reaches it through the iterator.
    this.completion.catch(() => undefined);
    this.completion.then(
      () => this.finish(undefined),
      (error: unknown) => this.finish(error ?? new Error('stream failed')),
    );
  }

  delta(chunk: StreamChunk): boolean {
    if (this.ended) return true;
    if (this.pending) {
      const { resolve } = this.pending;
      this.pending = null;
      resolve({ value: chunk, done: false });
      return true;
    }
    this.chunks.push(chunk);
    this.chars += weight(chunk);
    return (
      !this.reading || (this.chunks.length < HIGH_WATER_CHUNKS && this.chars < HIGH_WATER_CHARS)
    );
  }

  answeredBy(client: string): void {
    this.client = client;
  }

  onDrain(drain: () => void): void {
    this.drain = drain;
  }

  onCancel(cancel: () => void): void {
    this.stopRequest = cancel;
    if (this.cancelled) cancel();
  }

  cancel(): void {
    if (this.ended || this.cancelled) return;
    this.cancelled = true;
    this.stopRequest?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamChunk> {
    return {
      next: () => {
        this.reading = true;
        const chunk = this.chunks.shift();
        if (chunk !== undefined) {
          this.chars -= weight(chunk);
          if (this.drain !== undefined) this.maybeDrain();
          return Promise.resolve({ value: chunk, done: false });
        }
        if (this.ended) {
          return this.error === undefined
            ? Promise.resolve({ value: undefined, done: true })
            : Promise.reject(this.error);
        }
        return new Promise((resolve, reject) => {
          this.pending = { resolve, reject };
        });
      },
      return: () => {
        this.cancel();
        this.chunks.length = 0;
        this.chars = 0;
        this.drain = undefined;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /** Resumes the upstream once the buffer is down to half the mark (not at once: no ping-pong). */
  private maybeDrain(): void {
    if (this.chunks.length > HIGH_WATER_CHUNKS / 2 || this.chars > HIGH_WATER_CHARS / 2) return;
    const drain = this.drain!;
    // Cleared first: resuming may deliver more text at once, and with it a new drain.
    this.drain = undefined;
    drain();
  }

  private finish(error: unknown): void {
    this.ended = true;
    this.error = error;
    this.drain = undefined;
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    if (error === undefined) pending.resolve({ value: undefined, done: true });
    else pending.reject(error);
  }
}
