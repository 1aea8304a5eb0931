import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventTooLongError, NdjsonParser, SseParser, type SseEvent } from '../src/transport/sse.js';

function parseInPieces(text: string, cuts: number[]): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  let last = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    events.push(...parser.push(text.slice(last, cut)));
    last = cut;
  }
  events.push(...parser.push(text.slice(last)));
  return events;
}

const stream =
  ': comment\n' +
  'event: message_start\ndata: {"a":1}\n\n' +
  'data: line one\r\ndata: line two\r\n\r\n' +
  'event: ping\rdata:{}\r\r' +
  'data: [DONE]\n\n';

const expected: SseEvent[] = [
  { event: 'message_start', data: '{"a":1}' },
  { event: 'message', data: 'line one\nline two' },
  { event: 'ping', data: '{}' },
  { event: 'message', data: '[DONE]' },
];

describe('SSE parser', () => {
  it('parses events, comments, multi-line data and every line ending', () => {
    expect(parseInPieces(stream, [])).toEqual(expected);
  });

  it('gives the same events wherever the chunks are cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 12 }),
        (cuts) => {
          expect(parseInPieces(stream, cuts)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps a CR LF together across an empty piece between its halves', () => {
    expect(parseInPieces('data: a\r\ndata: b\r\n\r\n', [8, 8])).toEqual([
      { event: 'message', data: 'a\nb' },
    ]);
  });

  it('dispatches nothing for an event the stream cut short, and says so', () => {
    const parser = new SseParser();
    expect(parser.push('data: {"x":1}\n\ndata: {"trunc')).toEqual([
      { event: 'message', data: '{"x":1}' },
    ]);
    expect(parser.partial).toBe(true);
  });
});

describe('NDJSON parser', () => {
  it('gives every line’s value wherever the chunks are cut', () => {
    const text = '{"a":1}\n{"b":"é✓"}\n\n{"c":[1,2]}\n';
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 8 }), (cuts) => {
        const parser = new NdjsonParser();
        const values: unknown[] = [];
        let last = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          values.push(...parser.push(text.slice(last, cut)));
          last = cut;
        }
        values.push(...parser.push(text.slice(last)));
        expect(parser.end()).toBeUndefined();
        expect(values).toEqual([{ a: 1 }, { b: 'é✓' }, { c: [1, 2] }]);
      }),
      { numRuns: 300 },
    );
  });

  it('returns a last line without a newline at the end', () => {
    const parser = new NdjsonParser();
    expect(parser.push('{"a":1}\n{"b":2}')).toEqual([{ a: 1 }]);
    expect(parser.end()).toEqual({ b: 2 });
  });
});

describe('limits: one event at most in memory', () => {
  it('refuses a line that grows past the limit across pieces', () => {
    const parser = new SseParser(1000);
    expect(parser.push(`data: ${'a'.repeat(500)}`)).toEqual([]);
    expect(() => parser.push('a'.repeat(600))).toThrow(EventTooLongError);
  });

  it('refuses an event whose data lines together pass the limit', () => {
    const parser = new SseParser(1000);
    expect(parser.push(`data: ${'a'.repeat(400)}\ndata: ${'b'.repeat(400)}\n`)).toEqual([]);
    expect(() => parser.push(`data: ${'c'.repeat(400)}\n`)).toThrow(/longer than 1000/);
  });

  it('accepts events up to the limit one after another, however many', () => {
    const parser = new SseParser(1000);
    const event = `data: ${'a'.repeat(990)}\n\n`;
    expect(parser.push(event.repeat(50))).toHaveLength(50);
    expect(parser.partial).toBe(false);
  });

  it('refuses an NDJSON line past the limit, ended or not', () => {
    expect(() => new NdjsonParser(100).push(`"${'a'.repeat(200)}"\n`)).toThrow(EventTooLongError);
    const parser = new NdjsonParser(100);
    parser.push('"' + 'a'.repeat(60));
    expect(() => parser.push('a'.repeat(60))).toThrow(EventTooLongError);
    expect(new NdjsonParser(100).push(`${JSON.stringify('a'.repeat(90))}\n`)).toEqual([
      'a'.repeat(90),
    ]);
  });
});
