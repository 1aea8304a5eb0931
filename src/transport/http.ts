/**
 * One client's HTTP transport: its own undici Pool (keep-alive, one connection per concurrency
 * slot) toward the provider's origin.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { TextDecoder } from 'node:util';
import { Pool, type Dispatcher } from 'undici';
import { tooLarge } from '../model/failures.js';
import type { Cancellation } from '../policy/cancellation.js';
import { headerValue } from '../policy/rate-limit-headers.js';

/** A raw HTTP answer with its body read. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Takes a streamed 2xx body as decoded text (characters split across chunks are joined). */
export interface TextSink {
  /**
   * One decoded piece. Returning false says whoever reads the text is behind: the transport
   * stops reading the socket (so the upstream's writes block) until `resume` is called. A throw
   * aborts the request, which rejects with what was thrown.
   */
  push(text: string, resume: () => void): boolean;
}

/**
 * Told how an answer arrives, for time limits on it: its headers, each piece of a body that is not
 * streamed (a stream's reader reports its deltas instead), and when reading pauses for a
 * consumer that is behind (true) or resumes (false).
 */
export interface BodyWatch {
  headers(): void;
  data(): void;
  hold(held: boolean): void;
  /** True once the body's silence limit has ended the answer (read by the stream's reader). */
  readonly idled?: boolean;
}

/** What bounds the answers of one client's transport. */
export interface TransportLimits {
  /** The client, for the errors. */
  client: string;
  /**
   * The most bytes read of one answer that is not streamed (a 2xx JSON body or any error body):
   * past it the request fails with BAD_RESPONSE and its connection is dropped. A streamed 2xx
   * body is bounded by whoever reads it (the stream readers bound each event and the text).
   */
  maxResponseBytes: number;
}

/**
 * How much of an error body is kept: the error's excerpt and message need far less, and the
 * rest is only counted against the limit.
 */
const ERROR_BODY_KEPT = 64 * 1024;

/** A client's pool and the POST it makes. */
export class HttpTransport {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(
    baseUrl: string,
    connections: number,
    private readonly limits: TransportLimits,
  ) {
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
   * the dispatch directly).
   *
   * With `sink`, a 2xx body is not collected but decoded as it arrives and pushed to `sink`;
   * other answers are read whole. With `watch`, the answer's arrival is reported to it.
   */
  post(
    path: string,
    body: string,
    headers: Record<string, string>,
    cancel: Cancellation,
    sink?: TextSink,
    watch?: BodyWatch,
  ): Promise<HttpAnswer> {
    if (cancel.aborted) return Promise.reject(cancel.reason);
    return new Promise((resolve, reject) => {
      this.pool.dispatch(
        { method: 'POST', path: this.basePath + path, headers, body },
        new PostHandler(resolve, reject, cancel, sink, this.limits, watch),
      );
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

const DECODE_STREAM = { stream: true };

/**
 * A stream's bytes as text. Most pieces end with an ASCII byte (an SSE event ends in a line
 * break), so no character is cut at their end and Buffer's own decoding serves: making a
 * TextDecoder per stream cost more than the rest of the decoding. The first piece that ends
 * inside a character switches to a TextDecoder for the rest of the stream.
 */
class Utf8Stream {
  private decoder: TextDecoder | undefined;

  decode(chunk: Buffer): string {
    if (this.decoder === undefined) {
      if (chunk.length === 0 || chunk[chunk.length - 1]! < 0x80) return chunk.toString('utf8');
      this.decoder = new TextDecoder();
    }
    return this.decoder.decode(chunk, DECODE_STREAM);
  }

  /** What a piece cut short at the end of the stream left over. */
  end(): string {
    return this.decoder?.decode() ?? '';
  }
}

/** One POST's handler, in undici's controller API. */
class PostHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  /** Bytes of a body that is not streamed read so far, and of them kept in `chunks`. */
  private received = 0;
  private kept = 0;
  /** Set for a streamed 2xx body only. */
  private decoder: Utf8Stream | undefined;
  /** What ends the request instead of undici's own error: a cancellation or a sink's throw. */
  private failure: unknown = undefined;
  /** Reading is paused until the sink calls `resume`. */
  private held = false;
  /** `resume` came during the current push: the sink's false is stale, do not pause. */
  private resumed = false;
  private resume: (() => void) | undefined;
  private readonly onCancel = (reason: unknown) => this.fail(reason);

  constructor(
    private readonly resolve: (answer: HttpAnswer) => void,
    private readonly reject: (error: unknown) => void,
    private readonly cancel: Cancellation,
    private readonly sink: TextSink | undefined,
    private readonly limits: TransportLimits,
    private readonly watch: BodyWatch | undefined,
  ) {
    cancel.onAbort(this.onCancel);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // A retry at the head of a pipeline starts again with a new controller.
    this.controller = controller;
    if (this.failure !== undefined) controller.abort(asError(this.failure));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    this.status = statusCode;
    this.headers = headers;
    this.watch?.headers();
    if (this.sink !== undefined && statusCode >= 200 && statusCode < 300) {
      this.decoder = new Utf8Stream();
      this.resume = () => this.resumeReading();
      return;
    }
    // A declared length past the limit fails now, before a byte of the body is read.
    const length = Number(headerValue(headers['content-length']));
    if (length > this.limits.maxResponseBytes) this.tooLarge();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.decoder === undefined) {
      // A stream's progress is its deltas, which its reader reports: not keep-alive bytes.
      this.watch?.data();
      this.collect(chunk);
      return;
    }
    try {
      const text = this.decoder.decode(chunk);
      this.resumed = false;
      if (text === '' || this.sink!.push(text, this.resume!) || this.resumed) return;
    } catch (error) {
      this.fail(error);
      return;
    }
    this.held = true;
    this.watch?.hold(true);
    controller.pause();
  }

  onResponseEnd(): void {
    this.cancel.off(this.onCancel);
    try {
      const rest = this.decoder?.end();
      if (rest) this.sink!.push(rest, this.resume!);
    } catch (error) {
      this.failure ??= error;
    }
    if (this.failure !== undefined) {
      this.reject(this.failure);
      return;
    }
    const { chunks } = this;
    this.resolve({
      status: this.status,
      headers: this.headers,
      body: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString(),
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    this.cancel.off(this.onCancel);
    this.held = false;
    this.reject(this.failure ?? error);
  }

  /** Keeps a piece of a body that is not streamed, within the limits. */
  private collect(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    this.received += chunk.length;
    if (this.received > this.limits.maxResponseBytes) {
      this.tooLarge();
      return;
    }
    if (this.status >= 200 && this.status < 300) {
      this.chunks.push(chunk);
      return;
    }
    const room = ERROR_BODY_KEPT - this.kept;
    if (room <= 0) return;
    const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(piece);
    this.kept += piece.length;
  }

  private tooLarge(): void {
    const what =
      this.status >= 200 && this.status < 300 ? 'the answer' : `the HTTP ${this.status} body`;
    this.fail(tooLarge(this.limits.client, what, 'maxResponseBytes', this.limits.maxResponseBytes));
  }

  /** Ends the request with `error`, whatever undici reports for the abort. */
  private fail(error: unknown): void {
    this.failure ??= error;
    this.controller?.abort(asError(error));
  }

  private resumeReading(): void {
    this.resumed = true;
    if (!this.held) return;
    this.held = false;
    this.watch?.hold(false);
    this.controller!.resume();
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
