/**
 * What the HTTP wire formats share: one pool per client, a JSON POST, non-2xx answers typed as
 * PROVIDER_ERROR, bodies that are not JSON typed as BAD_RESPONSE. Each format supplies its path,
 * headers, request body and normalization.
 */
import type { ResolvedClientConfig } from '../config/types.js';
import { badResponse } from '../model/failures.js';
import type { ChatMessage, EffectiveParams } from '../model/request.js';
import { httpError } from '../policy/classify.js';
import { HttpTransport, type HttpAnswer } from '../transport/http.js';
import type { CachedCompletion } from '../model/answer.js';
import type {
  Provider,
  ProviderAnswer,
  ProviderCall,
  StreamEvent,
  StreamReader,
} from './provider.js';

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
    this.transport = new HttpTransport(config.baseUrl, config.maxConcurrency);
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...authHeaders,
      ...config.headers,
    };
  }

  /** The JSON body of one request. */
  protected abstract body(
    messages: ChatMessage[],
    params: EffectiveParams,
  ): Record<string, unknown>;

  /** The normalized answer of a parsed 2xx body; throws BAD_RESPONSE when it is not usable. */
  protected abstract normalize(raw: Record<string, unknown>): CachedCompletion;

  /** The JSON body of one streamed request. */
  protected abstract streamBody(
    messages: ChatMessage[],
    params: EffectiveParams,
  ): Record<string, unknown>;

  /** A fresh reader of this format's stream. */
  protected abstract streamReader(): StreamReader;

  async call({ messages, params, cancel }: ProviderCall): Promise<ProviderAnswer> {
    const res = await this.transport.post(
      this.path,
      JSON.stringify(this.body(messages, params)),
      this.headers,
      cancel,
    );
    if (res.status < 200 || res.status >= 300) throw this.httpFailure(res);
    let raw: unknown;
    try {
      raw = JSON.parse(res.body);
    } catch (cause) {
      throw this.bad('the body is not JSON', cause);
    }
    if (typeof raw !== 'object' || raw === null) throw this.bad('the body is not a JSON object');
    return { completion: this.normalize(raw as Record<string, unknown>), raw };
  }

  async stream(
    { messages, params, cancel }: ProviderCall,
    onDelta: (text: string) => void,
  ): Promise<ProviderAnswer> {
    const reader = this.streamReader();
    let completion: CachedCompletion | undefined;
    const take = (events: Iterable<StreamEvent>) => {
      for (const event of events) {
        if (event.type === 'delta') onDelta(event.text);
        else completion = event.completion;
      }
    };
    const res = await this.transport.post(
      this.path,
      JSON.stringify(this.streamBody(messages, params)),
      this.headers,
      cancel,
      (text) => take(reader.push(text)),
    );
    if (res.status < 200 || res.status >= 300) throw this.httpFailure(res);
    take(reader.end());
    if (completion === undefined) throw this.bad('the stream ended without an answer');
    return { completion, raw: undefined };
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  destroy(): Promise<void> {
    return this.transport.destroy();
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

  /** A BAD_RESPONSE of this client. */
  protected bad(why: string, cause?: unknown) {
    return badResponse(this.config.name, why, cause);
  }
}
