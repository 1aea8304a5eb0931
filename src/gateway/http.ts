/**
 * The gateway's small HTTP pieces: bearer tokens compared in constant time, JSON answers and
 * OpenAI-style errors (the gateway's own ones among them), path segments decoded, and a request
 * body read up to a limit.
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

/**
 * Answers `body` as JSON, with `headers` beside the content type and length. The headers go to
 * node as one flat list, which it writes as is, rather than as an object it walks and copies.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): void {
  const text = JSON.stringify(body);
  const raw = ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(text))];
  if (headers !== undefined) for (const name in headers) raw.push(name, headers[name]!);
  if (bodyPending(res.req)) raw.push('connection', 'close');
  res.writeHead(status, raw);
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

/** 401: a missing or wrong API key or admin token. */
export function unauthorized(res: ServerResponse, message: string): void {
  sendError(res, simpleError(401, 'authentication_error', 'UNAUTHORIZED', message));
}

/** 404 for a name that is no registered client. */
export function unknownClient(res: ServerResponse, name: string): void {
  sendError(
    res,
    simpleError(
      404,
      'invalid_request_error',
      'UNKNOWN_CLIENT',
      `no client named ${JSON.stringify(name)}`,
    ),
  );
}

/** 404 for a path (or a method on it) the gateway does not serve. */
export function notFound(res: ServerResponse, method: string, path: string): void {
  sendError(
    res,
    simpleError(404, 'invalid_request_error', 'NOT_FOUND', `no route ${method} ${path}`),
  );
}

/** 405 with the `Allow` header, for a path served under another method. */
export function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendError(res, {
    ...simpleError(405, 'invalid_request_error', 'METHOD_NOT_ALLOWED', `use ${allow}`),
    headers: { allow },
  });
}

/**
 * A path segment decoded, or undefined after answering 400 when its percent-encoding is
 * malformed (`path`, the whole path, is what the answer names).
 */
export function segment(res: ServerResponse, encoded: string, path: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    sendError(
      res,
      simpleError(
        400,
        'invalid_request_error',
        'INVALID_REQUEST',
        `malformed percent-encoding in ${JSON.stringify(path.slice(0, 200))}`,
      ),
    );
    return undefined;
  }
}

/** Why a body was not read: larger than the limit, too slow, or its caller left. */
export type UnreadBody = 'too_large' | 'timeout' | 'aborted';

/**
 * Reads the whole body; stops reading at `limit` bytes ('too_large'), after `timeoutMs`
 * ('timeout': a body trickled in holds the connection no longer), or when the caller leaves
 * ('aborted'). Never rejects.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  timeoutMs: number,
): Promise<Buffer | UnreadBody> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.resolve('too_large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (outcome: Buffer | UnreadBody) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return done('too_large');
      chunks.push(chunk);
    };
    const onEnd = () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    const onGone = () => done('aborted');
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}

/**
 * Whether `req` still has body bytes on their way that nobody read: an answer sent now closes
 * the connection rather than reading them (keep-alive would read a trickled body to its end).
 */
export function bodyPending(req: IncomingMessage): boolean {
  if (req.complete || req.readableEnded) return false;
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}
