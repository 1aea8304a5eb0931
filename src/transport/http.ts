/**
 * One client's HTTP transport: its own undici Pool (keep-alive, one connection per concurrency
 * slot) toward the provider's origin.
 */
import { Pool, type Dispatcher } from 'undici';
import type { Cancellation } from '../actors/cancellation.js';

/** A raw HTTP answer with its body read. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A client's pool and the POST it makes. */
export class HttpTransport {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(baseUrl: string, connections: number) {
    const url = new URL(baseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    // The actor's own deadline bounds every request; undici's timers would only race it.
    this.pool = new Pool(url.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  /**
   * POSTs JSON to `path` below the base URL and reads the whole answer. It dispatches with a
   * handler of its own rather than `pool.request`: no body stream and no AbortSignal per
   * request (the cancellation aborts the dispatch directly). Headers are parsed only for
   * answers that are not 2xx, the only ones whose headers are read.
   */
  postJson(
    path: string,
    body: string,
    headers: Record<string, string>,
    cancel: Cancellation,
  ): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      if (cancel.aborted) {
        reject(cancel.reason);
        return;
      }
      const chunks: Buffer[] = [];
      let status = 0;
      let rawHeaders: Buffer[] = [];
      let abortDispatch: ((reason: unknown) => void) | undefined;
      const stop = cancel.onAbort((reason) => abortDispatch?.(reason));
      this.pool.dispatch({ method: 'POST', path: this.basePath + path, headers, body }, {
        onConnect: (abort: (reason?: unknown) => void) => {
          abortDispatch = abort;
          if (cancel.aborted) abort(cancel.reason);
        },
        onHeaders: (statusCode: number, raw: Buffer[]) => {
          status = statusCode;
          rawHeaders = raw;
          return true;
        },
        onData: (chunk: Buffer) => {
          chunks.push(chunk);
          return true;
        },
        onComplete: () => {
          stop();
          resolve({
            status,
            headers: status >= 200 && status < 300 ? {} : headerRecord(rawHeaders),
            body:
              chunks.length === 1
                ? chunks[0]!.toString('utf8')
                : Buffer.concat(chunks).toString('utf8'),
          });
        },
        onError: (error: Error) => {
          stop();
          reject(error);
        },
      } as unknown as Dispatcher.DispatchHandler);
    });
  }

  /**
   * POSTs JSON to `path` and hands back the answer as it arrives: a non-2xx answer's body is
   * read whole (it is an error to report); a 2xx body is yielded as decoded text, chunk by chunk
   * (multi-byte characters split across chunks are joined). Leaving the loop early destroys the
   * body, which releases the connection.
   */
  async postStream(
    path: string,
    body: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<
    HttpAnswer | { status: number; headers: HttpAnswer['headers']; text: AsyncIterable<string> }
  > {
    const res = await this.pool.request({
      method: 'POST',
      path: this.basePath + path,
      headers,
      body,
      signal,
    });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
    }
    return { status: res.statusCode, headers: res.headers, text: decode(res.body) };
  }

  /** Waits for requests under way, then closes every connection. */
  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Closes every connection now, failing requests under way. */
  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}

async function* decode(
  body: AsyncIterable<Uint8Array> & { destroy(): unknown },
): AsyncIterable<string> {
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      const text = decoder.decode(chunk, { stream: true });
      if (text) yield text;
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  } finally {
    body.destroy();
  }
}

/** undici's raw header list (name, value, name, value…) as a record with lower-case names. */
function headerRecord(raw: Buffer[]): HttpAnswer['headers'] {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}
