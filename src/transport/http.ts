/**
 * One client's HTTP transport: its own undici Pool (keep-alive, one connection per concurrency
 * slot) toward the provider's origin.
 */
import { Pool } from 'undici';

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

  /** POSTs JSON to `path` below the base URL and reads the whole answer. */
  async postJson(
    path: string,
    body: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<HttpAnswer> {
    const res = await this.pool.request({
      method: 'POST',
      path: this.basePath + path,
      headers,
      body,
      signal,
    });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
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
