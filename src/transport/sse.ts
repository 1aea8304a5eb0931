/**
 * An incremental Server-Sent Events parser (the WHATWG event-stream format): text in, whole
 * events out, whatever the chunk boundaries — including inside a line or a `\r\n`. Each parser
 * holds at most one event (or line) in memory, and refuses one longer than its limit.
 */
import { DEFAULTS } from '../config/defaults.js';

/** An event or line longer than the parser's limit: reading on would hold it all in memory. */
export class EventTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`a stream event is longer than ${limit} characters`);
    this.name = 'EventTooLongError';
  }
}

/** One dispatched event. `event` is `'message'` when the stream named none. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Parses event-stream text pushed in arbitrary pieces. */
export class SseParser {
  private buffer = '';
  private readonly data: string[] = [];
  /** Characters in `data`, with the line breaks that will join them. */
  private dataChars = 0;
  private event = '';
  private pendingCr = false;

  /** `maxEventChars`: the longest event (its data lines, or a line not yet ended). */
  constructor(private readonly maxEventChars: number = DEFAULTS.maxEventBytes) {}

  /** Feeds decoded text; returns the events it completed. */
  push(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let input = text;
    // A `\r` at the end of the last piece may be the first half of a `\r\n`.
    if (input === '') return events;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (input.startsWith('\n')) input = input.slice(1);
    }
    // The buffer holds no line break (only the unfinished line): search just the new text, so a
    // large event costs time in proportion to its size, not to its size squared. indexOf finds
    // the breaks natively, far faster than a loop over the characters.
    // Most pieces start at an event's start: the piece is searched as it came, since appending it
    // to an empty buffer would make a string that the first search copies whole to flatten.
    const from = this.buffer.length;
    const buffer = from === 0 ? input : this.buffer + input;
    let start = 0;
    let lf = buffer.indexOf('\n', from);
    let cr = buffer.indexOf('\r', from);
    while (lf !== -1 || cr !== -1) {
      const isCr = cr !== -1 && (lf === -1 || cr < lf);
      const end = isCr ? cr : lf;
      // A data line, the most common by far, is cut from the buffer in one slice.
      if (end - start >= 5 && buffer.startsWith('data:', start)) {
        this.addData(
          buffer.slice(buffer.charCodeAt(start + 5) === 32 ? start + 6 : start + 5, end),
        );
      } else this.line(buffer.slice(start, end), events);
      start = end + 1;
      if (isCr) {
        if (start === buffer.length) this.pendingCr = true;
        else if (buffer.charCodeAt(start) === 10) start++;
      }
      if (lf !== -1 && lf < start) lf = buffer.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = buffer.indexOf('\r', start);
    }
    this.buffer = buffer.slice(start);
    if (this.buffer.length + this.dataChars > this.maxEventChars) {
      throw new EventTooLongError(this.maxEventChars);
    }
    return events;
  }

  /** True when the stream stopped inside an event (nothing dispatched for it). */
  get partial(): boolean {
    return this.buffer.length > 0 || this.data.length > 0;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      const data = this.data;
      if (data.length > 0) {
        events.push({
          event: this.event || 'message',
          data: data.length === 1 ? data[0]! : data.join('\n'),
        });
      }
      data.length = 0;
      this.dataChars = 0;
      this.event = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.addData(value);
    else if (field === 'event') this.event = value;
  }

  /** A data line's value, added to the event under way. */
  private addData(value: string): void {
    this.data.push(value);
    this.dataChars += value.length + 1;
    if (this.dataChars > this.maxEventChars) throw new EventTooLongError(this.maxEventChars);
  }
}

/**
 * Splits newline-delimited JSON pushed in arbitrary pieces into its lines' values. A line that
 * is not JSON throws its SyntaxError, or — given `onBadLine` — is skipped and reported there.
 */
export class NdjsonParser {
  private buffer = '';

  /** `maxLineChars`: the longest line. */
  constructor(
    private readonly maxLineChars: number = DEFAULTS.maxEventBytes,
    private readonly onBadLine?: (cause: unknown) => void,
  ) {}

  /** Feeds decoded text; returns the values of the lines it completed. */
  push(text: string): unknown[] {
    const from = this.buffer.length;
    this.buffer += text;
    const values: unknown[] = [];
    let start = 0;
    let newline = this.buffer.indexOf('\n', from);
    while (newline !== -1) {
      if (newline - start > this.maxLineChars) throw new EventTooLongError(this.maxLineChars);
      const line = this.buffer.slice(start, newline).trim();
      if (line !== '') this.parse(line, values);
      start = newline + 1;
      newline = this.buffer.indexOf('\n', start);
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > this.maxLineChars) throw new EventTooLongError(this.maxLineChars);
    return values;
  }

  /** The last line, when the stream ended without a final newline (else undefined). */
  end(): unknown {
    const line = this.buffer.trim();
    this.buffer = '';
    const values: unknown[] = [];
    if (line !== '') this.parse(line, values);
    return values[0];
  }

  private parse(line: string, values: unknown[]): void {
    if (this.onBadLine === undefined) {
      values.push(JSON.parse(line));
      return;
    }
    try {
      values.push(JSON.parse(line));
    } catch (cause) {
      this.onBadLine(cause);
    }
  }
}
