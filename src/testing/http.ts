import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TestFault } from './types.js';

/** Sends a complete body with an exact `content-length`; JSON unless `headers` say otherwise. */
export function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** Whether `text` parses as JSON. */
export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Reads the whole request body as UTF-8. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Writes `data` as one HTTP chunk, or in chunks of `splitBytes` bytes when set (which may split a
 * multi-byte UTF-8 character, on purpose: client stream parsers must cope with that).
 */
export function writePieces(res: ServerResponse, data: string, splitBytes?: number): void {
  const bytes = Buffer.from(data);
  const step = splitBytes !== undefined && splitBytes > 0 ? splitBytes : bytes.length;
  for (let at = 0; at < bytes.length; at += step) res.write(bytes.subarray(at, at + step));
}

/**
 * Resolves once everything written so far (headers included) is handed to the socket, so that
 * destroying the socket then cannot drop it; also resolves if the response closes first.
 */
export function flushed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    // A write to a socket destroyed meanwhile never calls back, so settle on close too.
    const done = (): void => {
      res.off('close', done);
      resolve();
    };
    res.once('close', done);
    // An empty write sends nothing on the wire but calls back in order after earlier writes.
    res.write('', done);
  });
}

/**
 * Sends a 200 JSON `payload` under a `truncated` fault (half the promised body, then the socket is
 * destroyed) or a `trickle` fault (`chunkBytes` at a time, `chunkDelayMs` apart). `sleep` must
 * resolve false once the response or the server closes. Resolves true when fully sent.
 */
export async function sendSlowly(
  res: ServerResponse,
  socket: Socket,
  payload: Buffer,
  fault: Extract<TestFault, { kind: 'truncated' | 'trickle' }>,
  sleep: (ms: number) => Promise<boolean>,
): Promise<boolean> {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': payload.length });
  if (fault.kind === 'truncated') {
    // Flush half the body before destroying, so the client sees headers and a partial body.
    res.write(payload.subarray(0, payload.length >> 1), () => socket.destroy());
    return false;
  }
  const step = Math.max(1, fault.chunkBytes ?? 16);
  for (let at = 0; at < payload.length; at += step) {
    if (at > 0 && !(await sleep(fault.chunkDelayMs))) return false;
    res.write(payload.subarray(at, at + step));
  }
  res.end();
  return true;
}
