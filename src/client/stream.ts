/**
 * The caller's side of a streamed request: an async iterable of text deltas, plus the whole
 * Completion once the stream has ended.
 */
import type { StreamSink } from './actor.js';
import type { Completion } from '../model/request.js';

/** One piece of streamed text. */
export interface StreamChunk {
  text: string;
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
  /** Stops the stream now (same as leaving the loop). */
  cancel(): void;
}

type Pending = { resolve: (r: IteratorResult<StreamChunk>) => void; reject: (e: unknown) => void };

/** Buffers deltas from the actor until the caller reads them. */
export class StreamChannel implements StreamSink, CompletionStream {
  readonly completion: Promise<Completion>;
  private readonly chunks: string[] = [];
  private pending: Pending | null = null;
  private ended = false;
  private error: unknown = undefined;

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

  delta(text: string): void {
    if (this.ended) return;
    if (this.pending) {
      const { resolve } = this.pending;
      this.pending = null;
      resolve({ value: { text }, done: false });
    } else {
      this.chunks.push(text);
    }
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
        const text = this.chunks.shift();
        if (text !== undefined) return Promise.resolve({ value: { text }, done: false });
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
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private finish(error: unknown): void {
    this.ended = true;
    this.error = error;
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    if (error === undefined) pending.resolve({ value: undefined, done: true });
    else pending.reject(error);
  }
}
