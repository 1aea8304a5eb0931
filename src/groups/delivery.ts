/**
 * What a group stream has delivered to its caller: every chunk passes here, so a resumed stream
 * knows the text to continue from, and whether it can be continued at all.
 */
import type { StreamSink } from '../client/flight.js';
import type { StreamChunk } from '../model/chat.js';

/** The caller's side of a group stream. */
export class Delivery {
  /** The text delivered so far. */
  text = '';
  /**
   * Only text so far: reasoning, tool call fragments or several choices cannot be continued
   * by a prefill, so a stream that carried any is not resumed.
   */
  plain = true;

  constructor(private readonly sink: StreamSink) {}

  /** Hands the caller a chunk; false when it is behind (see {@link StreamSink.delta}). */
  forward(chunk: StreamChunk): boolean {
    if (
      chunk.reasoning !== undefined ||
      chunk.toolCall !== undefined ||
      chunk.choice !== undefined
    ) {
      this.plain = false;
    }
    this.text += chunk.text;
    return this.sink.delta(chunk);
  }

  /** Tells the caller which member streams from now on. */
  answeredBy(client: string): void {
    this.sink.answeredBy?.(client);
  }

  /** The caller's way to stop the call (the last one given is the one called). */
  onCancel(cancel: () => void): void {
    this.sink.onCancel(cancel);
  }

  /** Passes the sender's resume function on to the caller's buffer. */
  onDrain(drain: () => void): void {
    this.sink.onDrain(drain);
  }
}
