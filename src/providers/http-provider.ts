/**
 * What the HTTP wire formats share: one pool per client, a JSON POST, non-2xx answers typed as
 * PROVIDER_ERROR, bodies that are not JSON typed as BAD_RESPONSE. Each format supplies its path,
 * headers, request body, normalization and stream reader.
 */
import type { CachedCompletion } from '../model/answer.js';
import type { ResolvedClientConfig } from '../config/types.js';
import { isLlmActorsError } from '../model/errors.js';
import { badResponse } from '../model/failures.js';
import type { ChatMessage, EffectiveParams } from '../model/request.js';
import { httpError } from '../policy/classify.js';
import { headerValue } from '../policy/rate-limit-headers.js';
import { HttpTransport, type HttpAnswer } from '../transport/http.js';
import type { DeltaCallback, Provider, ProviderAnswer, ProviderCall } from './provider.js';
import type { StreamReader } from './stream-reader.js';

/** Content types that are no stream of any wire format. */
const NOT_A_STREAM = /^\s*(application\/json|text\/html)\b/i;

/** A wire format spoken over the client's pool. */
export abstract class HttpProvider implements Provider {
  protected readonly transport: HttpTransport;
  private readonly headers: Record<string, string>;

  constructor(
    protected readonly config: ResolvedClientConfig,
    protected readonly secrets: readonly string[],
    private readonly now: () => number,
    private readonly label: string,
    private readonly path: string,
    authHeaders: Record<string, string>,
  ) {
    this.transport = new HttpTransport(config.baseUrl, config.maxConcurrency, {
      client: config.name,
      maxResponseBytes: config.maxResponseBytes,
    });
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...authHeaders,
      ...config.headers,
    };
  }

  /** The JSON body of one request, asking for a stream when `stream` is true. */
  protected abstract body(
    messages: ChatMessage[],
    params: EffectiveParams,
    stream: boolean,
  ): Record<string, unknown>;

  /** The normalized answer of a parsed 2xx body; throws BAD_RESPONSE when it is not usable. */
  protected abstract normalize(raw: Record<string, unknown>): CachedCompletion;

  /** A fresh reader of this format's stream, handing its deltas to `onDelta`. */
  protected abstract reader(onDelta: DeltaCallback, params: EffectiveParams): StreamReader;

  // Not async, and its continuation is bound once per provider: this is every request's path.
  // What throws here still arrives as a rejection, as it would from an async function.
  call(call: ProviderCall): Promise<ProviderAnswer> {
    if (call.onDelta !== undefined) return this.stream(call, call.onDelta);
    let body: string;
    try {
      body = JSON.stringify(this.body(call.messages, call.params, false));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.transport
      .post(this.path, body, this.headers, call.cancel, undefined, call.watch)
      .then(this.answer);
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  destroy(): Promise<void> {
    return this.transport.destroy();
  }

  private readonly answer = (res: HttpAnswer): ProviderAnswer => {
    if (res.status < 200 || res.status >= 300) throw this.httpFailure(res);
    let raw: unknown;
    try {
      raw = JSON.parse(res.body);
    } catch (cause) {
      throw this.bad('the body is not JSON', cause);
    }
    if (typeof raw !== 'object' || raw === null) throw this.bad('the body is not a JSON object');
    return { completion: this.readable(() => this.normalize(raw as Record<string, unknown>)), raw };
  };

  private async stream(call: ProviderCall, onDelta: DeltaCallback): Promise<ProviderAnswer> {
    const reader = this.reader(onDelta, call.params);
    if (call.onSkipped !== undefined) reader.onSkipped = call.onSkipped;
    try {
      const res = await this.transport.post(
        this.path,
        JSON.stringify(this.body(call.messages, call.params, true)),
        this.headers,
        call.cancel,
        reader,
        call.watch,
      );
      if (res.status < 200 || res.status >= 300) throw this.httpFailure(res);
      return { completion: this.ended(reader, res), raw: undefined };
    } catch (error) {
      // Silent after its finish reason (a server that holds the connection open): whole.
      const whole = call.watch?.idled === true ? reader.complete() : undefined;
      if (whole !== undefined) return { completion: whole, raw: undefined };
      // A stream cut or failed after its usage was reported was billed all the same.
      const paid = reader.paid();
      if (paid !== undefined) call.onPaid?.(paid);
      throw error;
    }
  }

  /**
   * The whole answer of a stream whose body ended. A body that held no whole answer and was
   * labelled JSON or HTML (a server that ignored `stream: true`, a proxy's login page) is a
   * BAD_RESPONSE naming its type: as a stream cut short it was retried to the same end.
   */
  private ended(reader: StreamReader, res: HttpAnswer): CachedCompletion {
    try {
      return reader.end();
    } catch (error) {
      const type = headerValue(res.headers['content-type']) ?? '';
      if (isLlmActorsError(error, 'NETWORK_ERROR') && NOT_A_STREAM.test(type)) {
        throw this.bad(`a stream was asked for, the provider answered ${type.slice(0, 100)}`);
      }
      throw error;
    }
  }

  private httpFailure(res: HttpAnswer) {
    return httpError(
      this.config.name,
      this.label,
      res.status,
      res.headers,
      res.body,
      this.secrets,
      this.now(),
    );
  }

  /**
   * What `read` returns; what it throws untyped (a stack overflow on tool arguments nested
   * 50 000 deep) is a BAD_RESPONSE naming it, not a retried PROVIDER_ERROR.
   */
  private readable<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (isLlmActorsError(error)) throw error;
      throw this.bad(`the answer could not be read (${(error as Error).message})`, error);
    }
  }

  /** A BAD_RESPONSE of this client. */
  protected bad(why: string, cause?: unknown) {
    return badResponse(this.config.name, why, cause);
  }
}
