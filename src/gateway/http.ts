/**
 * The gateway's small HTTP pieces: bearer tokens compared in constant time, JSON answers and
 * OpenAI-style errors, and a request body read up to a limit.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorAnswer } from './wire.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** A digest of a token, so that comparisons take the same time whatever the guess. */
export function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** The token of an `Authorization: Bearer` header. */
export function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match?.[1]?.trim();
}

/** Whether `given` is one of the `accepted` token digests (constant time per digest). */
export function tokenMatches(given: string | undefined, accepted: readonly Buffer[]): boolean {
  if (given === undefined) return false;
  const d = digest(given);
  let ok = false;
  for (const a of accepted) ok = timingSafeEqual(d, a) || ok;
  return ok;
}

/** Answers `body` as JSON. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Answers an error. */
export function sendError(res: ServerResponse, answer: ErrorAnswer): void {
  sendJson(res, answer.status, answer.body, answer.headers);
}

/** An OpenAI-style error answer of the gateway's own (not a runtime error). */
export function simpleError(
  status: number,
  type: string,
  code: string,
  message: string,
): ErrorAnswer {
  return { status, headers: {}, body: { error: { message, type, code, param: null } } };
}

/** Reads the whole body, or answers 413 once it is larger than `limit`. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.resolve('too_large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
