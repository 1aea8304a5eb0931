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

  /** Waits for requests under way, then closes every connection. */
  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Closes every connection now, failing requests under way. */
  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
