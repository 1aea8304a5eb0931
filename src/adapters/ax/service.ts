/**
 * One llm-actors client as an Ax `AxAIService`.
 */
import { axCreateDefaultColorLogger, axGlobals } from '@ax-llm/ax';
import type {
  AxAIFeatures,
  AxAIModelList,
  AxAIService,
  AxAIServiceMetrics,
  AxAIServiceOptions,
  AxChatRequest,
  AxChatResponse,
  AxEmbedResponse,
  AxLoggerFunction,
  AxModelConfig,
  AxSpeechResponse,
  AxTranscriptionResponse,
} from '@ax-llm/ax';
import type { ProviderName } from '../../config/types.js';
import type { Runtime } from '../../runtime.js';
import { inventedToolCallIds } from '../../providers/tool-ids.js';
import { toAxError, unsupported } from './errors.js';
import { toMessages } from './messages.js';
import { chatMetrics } from './metrics.js';
import { outputFeatures, reasoningOf } from './output.js';
import { checkedProvider, mergeSignals, toRequestOptions } from './request.js';
import { toResponse, type ChatContext } from './response.js';
import { streamResponse } from './stream.js';
import type { AxServiceModelConfig, AxServiceOptions } from './types.js';
import { providerOf } from '../shared/provider.js';

const MEDIA: AxAIFeatures['media'] = {
  // Sent as base64 data URLs, which every provider of the runtime takes.
  images: { supported: true, formats: ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] },
  audio: { supported: false, formats: [] },
  files: { supported: false, formats: [], uploadMethod: 'none' },
  urls: { supported: false, webSearch: false, contextFetching: false },
};

/** One Ax service option of a call, the service's own where the call leaves it undefined. */
type Option = <K extends keyof AxAIServiceOptions>(key: K) => AxAIServiceOptions[K];

// Made on first use only: Ax's color logger is not needed while a logger is configured.
let defaultLogger: AxLoggerFunction | undefined;

/** The `AxAIService` of `createAxService`: every `chat()` is one request of the client. */
export class LlmActorsAxService implements AxAIService {
  private readonly name: string;
  private readonly id: string;
  private options: Readonly<AxAIServiceOptions>;
  private lastModel: string | undefined;
  private lastModelConfig: AxModelConfig | undefined;
  private knownProvider: ProviderName | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly client: string,
    private readonly config: AxServiceOptions,
  ) {
    this.name = config.name ?? 'llm-actors';
    this.id = config.id ?? `llm-actors:${client}`;
    this.options = config.options ?? {};
  }

  getId(): string {
    return this.id;
  }

  getName(): string {
    return this.name;
  }

  getFeatures(): AxAIFeatures {
    return {
      // Native tool calls in every wire format; Ax may still emulate them in the prompt.
      functions: true,
      functionEmulation: true,
      streaming: true,
      ...outputFeatures(this.provider()),
      media: MEDIA,
      caching: { supported: false, types: [] },
      multiTurn: true,
    };
  }

  getModelList(): AxAIModelList<string> | undefined {
    return undefined;
  }

  getMetrics(): AxAIServiceMetrics {
    return chatMetrics(this.runtime, this.client);
  }

  getLogger(): AxLoggerFunction {
    return (
      this.options.logger ?? axGlobals.logger ?? (defaultLogger ??= axCreateDefaultColorLogger())
    );
  }

  getLastUsedChatModel(): string | undefined {
    return this.lastModel;
  }

  getLastUsedEmbedModel(): undefined {
    return undefined;
  }

  getLastUsedModelConfig(): AxModelConfig | undefined {
    return this.lastModelConfig;
  }

  async chat(
    req: Readonly<AxChatRequest<unknown>>,
    options?: Readonly<AxAIServiceOptions>,
  ): Promise<AxChatResponse | ReadableStream<AxChatResponse>> {
    const ctx = this.context(options);
    try {
      const messages = toMessages(req, this.client, this.name);
      const inventId = inventedToolCallIds(messages);
      const modelConfig: AxServiceModelConfig = { ...this.config.modelConfig, ...req.modelConfig };
      const stream = ctx.option('stream') ?? modelConfig.stream ?? false;
      const provider = checkedProvider(this.runtime, this.client, req.model);
      const requestOptions = toRequestOptions(
        this.client,
        provider,
        req,
        { ...modelConfig, stream },
        {
          rolloutId: this.config.rolloutId,
          cache: this.config.cache,
          timeoutMs: ctx.timeoutMs,
          signal: mergeSignals(options?.abortSignal, this.options.abortSignal),
          reasoning: reasoningOf(ctx.option('thinkingTokenBudget')),
        },
      );
      this.lastModelConfig = { ...modelConfig, stream };
      if (ctx.debug) {
        const prompt = options?.debugHideSystemPrompt
          ? req.chatPrompt.filter((m) => m.role !== 'system')
          : [...req.chatPrompt];
        ctx.logger({ name: 'ChatRequestChatPrompt', step: options?.stepIndex ?? 0, value: prompt });
      }
      if (stream) {
        const s = this.runtime.stream(this.client, messages, requestOptions);
        return await streamResponse(s, ctx, inventId, (c) => (this.lastModel = c.model));
      }
      const completion = await this.runtime.request(this.client, messages, requestOptions);
      this.lastModel = completion.model;
      return toResponse(completion, ctx, inventId);
    } catch (e) {
      throw toAxError(e, this.client, ctx.timeoutMs);
    }
  }

  embed(): Promise<AxEmbedResponse> {
    return Promise.reject(unsupported(this.client, 'embeddings'));
  }

  transcribe(): Promise<AxTranscriptionResponse> {
    return Promise.reject(unsupported(this.client, 'transcription'));
  }

  speak(): Promise<AxSpeechResponse> {
    return Promise.reject(unsupported(this.client, 'speech'));
  }

  /** Always 0: llm-actors knows no prices. Tokens are in `modelUsage` and in health. */
  getEstimatedCost(): number {
    return 0;
  }

  setOptions(options: Readonly<AxAIServiceOptions>): void {
    this.options = options;
  }

  getOptions(): Readonly<AxAIServiceOptions> {
    return this.options;
  }

  /**
   * The provider of the client or group, once the runtime has it (undefined for a name it
   * lacks, which the first `chat()` reports). A name keeps its provider: asked once.
   */
  private provider(): ProviderName | undefined {
    this.knownProvider ??= providerOf(this.runtime, this.client);
    return this.knownProvider;
  }

  /** The context of one `chat()`: its options over the service's, and how to log and count. */
  private context(
    options: Readonly<AxAIServiceOptions> | undefined,
  ): ChatContext & { option: Option } {
    // AxGen passes every option key, many of them undefined: those must not hide ours.
    const option: Option = (key) => options?.[key] ?? this.options[key];
    return {
      option,
      service: this.name,
      client: this.client,
      sessionId: option('sessionId'),
      debug: option('debug') ?? axGlobals.debug ?? false,
      logger: option('logger') ?? this.getLogger(),
      timeoutMs: option('timeout'),
      usageContext: option('usageContext'),
      showThoughts: option('showThoughts') !== false,
    };
  }
}
