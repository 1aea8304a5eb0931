/**
 * A completion stream as a host framework's `ReadableStream`, the shape both adapters answer a
 * streamed call with.
 */
import type { CompletionStream, StreamChunk } from '../../client/stream.js';
import type { Completion } from '../../model/request.js';

/** How {@link readableAfterFirst} turns a completion stream into a host's parts. */
export interface StreamMapping<T> {
  /** Parts sent before any delta. */
  start?: T[];
  /** The parts of one text delta. */
  delta(chunk: StreamChunk): T[];
  /** The last parts, once the whole completion is known. */
  end(completion: Completion): T[];
  /** A failure after the first delta: a last part that ends the stream, or the error it fails with. */
  failed(error: unknown): { part: T } | { error: unknown };
}

/**
 * The stream's parts, answered only once the first delta (or the end) is in hand: a failure
 * before any text (fuse open, queue full, retries exhausted) then rejects this promise, which is
 * where a host's retry looks, rather than arriving inside a stream already handed over.
 * Cancelling the returned stream cancels the upstream call.
 *
 * @throws the runtime's error when the stream fails before its first delta.
 */
export async function readableAfterFirst<T>(
  stream: CompletionStream,
  mapping: StreamMapping<T>,
): Promise<ReadableStream<T>> {
  const iterator = stream[Symbol.asyncIterator]();
  let first: IteratorResult<StreamChunk> | undefined = await iterator.next();
  return new ReadableStream<T>({
    start(controller) {
      for (const part of mapping.start ?? []) controller.enqueue(part);
    },
    async pull(controller) {
      try {
        // A pull that enqueues nothing is never called again: read on past deltas without parts.
        let result = first ?? (await iterator.next());
        first = undefined;
        while (!result.done) {
          const parts = mapping.delta(result.value);
          for (const part of parts) controller.enqueue(part);
          if (parts.length > 0) return;
          result = await iterator.next();
        }
        for (const part of mapping.end(await stream.completion)) controller.enqueue(part);
        controller.close();
      } catch (error) {
        const outcome = mapping.failed(error);
        if ('error' in outcome) {
          controller.error(outcome.error);
        } else {
          controller.enqueue(outcome.part);
          controller.close();
        }
      }
    },
    cancel() {
      stream.cancel();
    },
  });
}
