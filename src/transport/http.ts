/**
 * One client's HTTP transport: its own undici Pool (keep-alive, one connection per concurrency
 * slot) toward the provider's origin.
 */
import { TextDecoder } from 'node:util';
import { Pool, type Dispatcher } from 'undici';
import type { Cancellation } from '../policy/cancellation.js';

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
   * POSTs JSON to `path` below the base URL. It dispatches with a handler of its own rather
   * than `pool.request`: no body stream and no AbortSignal per request (the cancellation aborts
   * the dispatch directly). Headers are parsed only for answers that are not 2xx, the only
   * ones whose headers are read.
   *
   * With `onText`, a 2xx body is not collected: it is decoded as it arrives (characters split
   * across chunks are joined) and handed to `onText` piece by piece; a throw from `onText`
   * aborts the request and rejects with what it threw. Other answers are read whole.
   */
  post(
    path: string,
    body: string,
    headers: Record<string, string>,
    cancel: Cancellation,
    onText?: (text: string) => void,
  ): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      if (cancel.aborted) {
        reject(cancel.reason);
        return;
      }
      const chunks: Buffer[] = [];
      let status = 0;
      let rawHeaders: Buffer[] = [];
      let decoder: TextDecoder | undefined;
      let failure: unknown;
      let abortDispatch: ((reason: unknown) => void) | undefined;
      const stop = cancel.onAbort((reason) => abortDispatch?.(reason));
      const fail = (error: unknown) => {
        failure ??= error;
        abortDispatch?.(error);
      };
      this.pool.dispatch({ method: 'POST', path: this.basePath + path, headers, body }, {
        onConnect: (abort: (reason?: unknown) => void) => {
          abortDispatch = abort;
          if (cancel.aborted) abort(cancel.reason);
        },
        onHeaders: (statusCode: number, raw: Buffer[]) => {
          status = statusCode;
          rawHeaders = raw;
          if (onText && status >= 200 && status < 300) decoder = new TextDecoder();
          return true;
        },
        onData: (chunk: Buffer) => {
          if (decoder === undefined) {
            chunks.push(chunk);
            return true;
          }
          try {
            const text = decoder.decode(chunk, { stream: true });
            if (text) onText!(text);
          } catch (error) {
            fail(error);
            return false;
          }
          return true;
        },
        onComplete: () => {
          stop();
          try {
            const rest = decoder?.decode();
            if (rest) onText!(rest);
          } catch (error) {
            failure ??= error;
          }
          if (failure !== undefined) {
            reject(failure);
            return;
          }
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
          reject(failure ?? error);
        },
      } as unknown as Dispatcher.DispatchHandler);
    });
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
