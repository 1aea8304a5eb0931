/**
 * One HTTP/1.1 POST over a raw socket, for the tests of stream faults on the wire: each chunk of
 * the chunked body with the time it arrived, whether the terminating zero-size chunk came, and
 * how the connection ended (FIN, reset, or still open when the test gave up).
 */
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';

/** What came back on the socket. */
export interface RawExchange {
  /** The status, or 0 when no response head came. */
  status: number;
  head: string;
  /** Each body chunk's text with its arrival, ms after the request was written. */
  chunks: Array<{ text: string; at: number }>;
  /** Whether the chunked body's terminating zero-size chunk came. */
  complete: boolean;
  /** `fin`: the server closed the connection; `reset`: it reset it; `open`: the test gave up. */
  ending: 'fin' | 'reset' | 'open';
  /** When the connection ended (or the test gave up), ms after the request was written. */
  endAt: number;
}

/** Parses every whole chunk at the start of `buffer`; returns them and the rest. */
function takeChunks(buffer: Buffer): { chunks: string[]; done: boolean; rest: Buffer } {
  const chunks: string[] = [];
  let rest = buffer;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol < 0) return { chunks, done: false, rest };
    const size = parseInt(rest.subarray(0, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) throw new Error('not a chunked body');
    if (size === 0) return { chunks, done: true, rest };
    if (rest.length < eol + 2 + size + 2) return { chunks, done: false, rest };
    chunks.push(rest.subarray(eol + 2, eol + 2 + size).toString('utf8'));
    rest = rest.subarray(eol + 2 + size + 2);
  }
}

/**
 * POSTs `body` as JSON to `path` on 127.0.0.1:`port` with `connection: close` and `headers`, and
 * reads until the server ends the connection, or until `giveUpMs` (default 10 000; then the
 * socket is destroyed and the ending is `open`).
 */
export function rawExchange(
  port: number,
  path: string,
  body: object,
  { headers = {}, giveUpMs = 10_000 }: { headers?: Record<string, string>; giveUpMs?: number } = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const json = JSON.stringify(body);
    const socket = connect(port, '127.0.0.1');
    const out: RawExchange = {
      status: 0,
      head: '',
      chunks: [],
      complete: false,
      ending: 'open',
      endAt: 0,
    };
    let started = performance.now();
    let buffer: Buffer = Buffer.alloc(0);
    const finish = (ending: RawExchange['ending']): void => {
      clearTimeout(timer);
      out.ending = ending;
      out.endAt = performance.now() - started;
      socket.destroy();
      resolve(out);
    };
    const timer = setTimeout(() => finish('open'), giveUpMs);
    socket.on('connect', () => {
      started = performance.now();
      const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n${extra.join('')}` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
      );
    });
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      if (out.head === '') {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        out.head = buffer.subarray(0, end).toString('latin1');
        out.status = Number(out.head.split(' ')[1]);
        buffer = buffer.subarray(end + 4);
      }
      // A body with a content-length (an error answer) is left unparsed: its status tells enough.
      if (!/^transfer-encoding: chunked$/im.test(out.head)) return;
      const at = performance.now() - started;
      const taken = takeChunks(buffer);
      for (const text of taken.chunks) out.chunks.push({ text, at });
      out.complete ||= taken.done;
      buffer = taken.rest;
    });
    socket.on('end', () => finish('fin'));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') finish('reset');
    });
  });
}

/** The `data:` payloads of the SSE events in `chunks`, in order. */
export function sseData(chunks: RawExchange['chunks']): string[] {
  return chunks
    .map((c) => c.text)
    .join('')
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
}
