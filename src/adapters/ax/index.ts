/**
 * `llm-actors/ax`: one named llm-actors client as an Ax `AxAIService`, so Ax programs and
 * optimizers (AxGen, AxBootstrapFewShot, AxGEPA) run through that client's cache, fuse, retry
 * and pool. A separate entry point: importing `llm-actors` never loads Ax.
 *
 * @packageDocumentation
 */
import {
  AxAIServiceError,
  AxMediaNotSupportedError,
  axCreateDefaultColorLogger,
  axEmitUsageEvent,
  axGlobals,
} from '@ax-llm/ax';
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
  AxModelUsage,
  AxSpeechResponse,
  AxTranscriptionResponse,
} from '@ax-llm/ax';
import type { ProviderName } from '../../config/types.js';
import type { ChatMessage, Completion, RequestOptions } from '../../model/request.js';
import type { Runtime } from '../../runtime.js';
import type { CompletionStream } from '../../client/stream.js';
import { toAxError } from './errors.js';
import {
  FINISH_REASONS,
  MEDIA_NAMES,
  NO_MEDIA,
  defined,
  invalid,
  mergeSignals,
  metadata,
  named,
  providerExtra,
  type ChatPromptItem,
  type UserContent,
} from './mapping.js';
import type { AxServiceModelConfig, AxServiceOptions } from './types.js';

export {
  AX_METADATA_KEY,
  type AxServiceModelConfig,
  type AxServiceOptions,
  type AxServiceResponseMetadata,
} from './types.js';

let defaultLogger: AxLoggerFunction | undefined;

/**
 * Wraps the client named `clientName` of `runtime` as an Ax `AxAIService`. Every `chat()` is a
 * `runtime.request` (or `runtime.stream` when Ax asks for a stream), so identical calls of an
 * optimizer are answered from the client's cache, a down provider fails fast through its fuse,
 * and failures reach Ax as the Ax error classes its retry logic understands.
 *
 * Text only, no native tools: Ax emulates tools in the prompt (`features.functions` is false).
 *
 * @example
 * ```ts
 * import { ax } from '@ax-llm/ax';
 * import { createAxService } from 'llm-actors/ax';
 *
 * const llm = createAxService(runtime, 'gpt');
 * const classify = ax('review:string -> emotion:class "joy, sadness, anger"');
 * const { emotion } = await classify.forward(llm, { review: 'What a lovely day' });
 * ```
 * @throws nothing itself; `chat()` rejects with Ax errors (see docs/integrations.md).
 */
export function createAxService(
  runtime: Runtime,
  clientName: string,
  options: AxServiceOptions = {},
): AxAIService {
  return new LlmActorsAxService(runtime, clientName, options);
}

class LlmActorsAxService implements AxAIService {
  private readonly name: string;
  private readonly id: string;
  private options: Readonly<AxAIServiceOptions>;
  private lastModel: string | undefined;
  private lastModelConfig: AxModelConfig | undefined;

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
      functions: false,
      // Ax rewrites tools into the signature and parses calls from the text (prompt mode).
      functionEmulation: true,
      streaming: true,
      // No native JSON schema: Ax falls back to JSON instructions in the prompt (json_object).
      structuredOutputs: false,
      media: NO_MEDIA,
      caching: { supported: false, types: [] },
      thinking: false,
      multiTurn: true,
    };
  }

  getModelList(): AxAIModelList<string> | undefined {
    return undefined;
  }

  /**
   * From the client's health, so it counts every caller of the client, not only Ax. The
   * histogram keeps neither a sum nor samples: `mean` is the median (p50), `samples` is empty.
   */
  getMetrics(): AxAIServiceMetrics {
    const embed = { mean: 0, p95: 0, p99: 0, samples: [] };
    const noErrors = { count: 0, rate: 0, total: 0 };
    if (!this.runtime.clients().includes(this.client)) {
      return {
        latency: { chat: { ...embed }, embed },
        errors: { chat: { ...noErrors }, embed: noErrors },
      };
    }
    const { requests, latencyMs } = this.runtime.health(this.client);
    const count = requests.failed + requests.rejected;
    return {
      latency: {
        chat: { mean: latencyMs.p50, p95: latencyMs.p95, p99: latencyMs.p99, samples: [] },
        embed,
      },
      errors: {
        chat: {
          count,
          rate: requests.total === 0 ? 0 : count / requests.total,
          total: requests.total,
        },
        embed: noErrors,
      },
    };
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
    // AxGen passes every option key, many of them undefined: those must not hide ours.
    const opt = <K extends keyof AxAIServiceOptions>(key: K): AxAIServiceOptions[K] =>
      options?.[key] ?? this.options[key];
    const timeoutMs = opt('timeout');
    try {
      const messages = this.messages(req);
      const modelConfig: AxServiceModelConfig = { ...this.config.modelConfig, ...req.modelConfig };
      const stream = opt('stream') ?? modelConfig.stream ?? false;
      const n = modelConfig.n ?? 1;
      const provider = this.checkedProvider(req);
      if (n > 1 && (stream || provider !== 'openai')) {
        throw invalid(
          this.client,
          `modelConfig.n = ${n} (Ax sampleCount): several answers per call need a non-streamed request to an openai client`,
        );
      }
      if (req.responseFormat?.type === 'json_schema') {
        throw invalid(
          this.client,
          'responseFormat json_schema: llm-actors sends no JSON schema (structuredOutputs is false)',
        );
      }
      const signal = mergeSignals(options?.abortSignal, this.options.abortSignal);
      const requestOptions: RequestOptions = {
        temperature: modelConfig.temperature,
        maxTokens: modelConfig.maxTokens,
        stop: modelConfig.stopSequences?.length ? modelConfig.stopSequences : undefined,
        seed: modelConfig.seed,
        extra: providerExtra(provider, modelConfig, req.responseFormat?.type),
        rolloutId: this.config.rolloutId,
        cache: this.config.cache,
        timeoutMs,
        signal,
      };
      this.lastModelConfig = { ...modelConfig, stream };
      const debug = opt('debug') ?? axGlobals.debug ?? false;
      const logger = opt('logger') ?? this.getLogger();
      if (debug) {
        const prompt = options?.debugHideSystemPrompt
          ? req.chatPrompt.filter((m) => m.role !== 'system')
          : [...req.chatPrompt];
        logger({ name: 'ChatRequestChatPrompt', step: options?.stepIndex ?? 0, value: prompt });
      }
      const context = { sessionId: opt('sessionId'), debug, logger, timeoutMs };
      if (stream) {
        const s = this.runtime.stream(this.client, messages, defined(requestOptions));
        return await this.streamResponse(s, context, opt('usageContext'));
      }
      const completion = await this.runtime.request(this.client, messages, defined(requestOptions));
      const res = this.response(completion, context.sessionId);
      if (debug) logger({ name: 'ChatResponseResults', value: [...res.results] });
      if (!completion.cacheHit) axEmitUsageEvent('chat', res, opt('usageContext'), false);
      return res;
    } catch (e) {
      throw toAxError(e, this.client, timeoutMs);
    }
  }

  embed(): Promise<AxEmbedResponse> {
    return Promise.reject(this.unsupported('embeddings'));
  }

  transcribe(): Promise<AxTranscriptionResponse> {
    return Promise.reject(this.unsupported('transcription'));
  }

  speak(): Promise<AxSpeechResponse> {
    return Promise.reject(this.unsupported('speech'));
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

  private messages(req: Readonly<AxChatRequest<unknown>>): ChatMessage[] {
    if (req.functions !== undefined && req.functions.length > 0) {
      throw invalid(
        this.client,
        `functions: llm-actors has no native tool calling; let Ax emulate tools in the prompt (functionCallMode 'auto' or 'prompt', not 'native')`,
      );
    }
    if (req.functionCall === 'required' || typeof req.functionCall === 'object') {
      throw invalid(this.client, 'functionCall: no native tool calling to force');
    }
    return req.chatPrompt.map((m) => this.message(m));
  }

  private message(m: Readonly<ChatPromptItem>): ChatMessage {
    switch (m.role) {
      case 'system':
        return { role: 'system', content: m.content };
      case 'user':
        return named({ role: 'user', content: this.userText(m.content) }, m.name);
      case 'assistant':
        // Native function calls are dropped, as Ax itself does for prompt-mode history.
        return named({ role: 'assistant', content: m.content ?? '' }, m.name);
      case 'function':
        // A tool result goes back as a user turn, as in Ax's own prompt-mode emulation.
        return { role: 'user', content: m.result };
      default:
        throw invalid(
          this.client,
          `chatPrompt: unknown role ${JSON.stringify((m as { role: unknown }).role)}`,
        );
    }
  }

  private userText(content: UserContent): string {
    if (typeof content === 'string') return content;
    let text = '';
    for (const part of content) {
      if (part.type !== 'text') {
        throw new AxMediaNotSupportedError(MEDIA_NAMES[part.type] ?? part.type, this.name);
      }
      text += part.text;
    }
    return text;
  }

  /** One client serves one model: a request for another model is a mistake, not a switch. */
  private checkedProvider(req: Readonly<AxChatRequest<unknown>>): ProviderName {
    const { provider, model } = this.runtime.health(this.client);
    if (req.model !== undefined && req.model !== model && req.model !== this.client) {
      throw invalid(
        this.client,
        `model ${JSON.stringify(req.model)}: this client serves ${JSON.stringify(model)}; register one client per model and make one Ax service per client`,
      );
    }
    return provider;
  }

  private response(c: Completion, sessionId: string | undefined): AxChatResponse {
    const choices = c.choices ?? [{ text: c.text, finishReason: c.finishReason }];
    this.lastModel = c.model;
    return {
      ...(sessionId === undefined ? {} : { sessionId }),
      results: choices.map((choice, index) => ({
        index,
        content: choice.text,
        finishReason: FINISH_REASONS[choice.finishReason],
      })),
      modelUsage: this.usage(c),
      providerMetadata: metadata(c),
    };
  }

  private usage(c: Completion): AxModelUsage {
    return { ai: this.name, model: c.model, tokens: { ...c.usage } };
  }

  /**
   * A ReadableStream of deltas, the usage and finish reason in a last content-free chunk (where
   * Ax's stream reader keeps the last `modelUsage` it saw). The first delta is awaited here, so a
   * failure before any text (FUSE_OPEN, a 5xx after retries) rejects `chat()` itself, as an
   * HTTP error does for Ax's own providers.
   */
  private async streamResponse(
    s: CompletionStream,
    ctx: {
      sessionId: string | undefined;
      debug: boolean;
      logger: AxLoggerFunction;
      timeoutMs: number | undefined;
    },
    usageContext: AxAIServiceOptions['usageContext'],
  ): Promise<ReadableStream<AxChatResponse>> {
    const it = s[Symbol.asyncIterator]();
    let first: IteratorResult<{ text: string }> | undefined = await it.next();
    const session = ctx.sessionId === undefined ? {} : { sessionId: ctx.sessionId };
    let text = '';
    return new ReadableStream<AxChatResponse>({
      pull: async (controller) => {
        try {
          const next = first ?? (await it.next());
          first = undefined;
          if (!next.done) {
            text += next.value.text;
            controller.enqueue({ ...session, results: [{ index: 0, content: next.value.text }] });
            return;
          }
          const c = await s.completion;
          const finishReason = FINISH_REASONS[c.finishReason];
          const last: AxChatResponse = {
            ...session,
            results: [{ index: 0, content: '', finishReason }],
            modelUsage: this.usage(c),
            providerMetadata: metadata(c),
          };
          this.lastModel = c.model;
          if (ctx.debug) {
            ctx.logger({
              name: 'ChatResponseStreamingDoneResult',
              index: 0,
              value: { index: 0, content: text, finishReason },
            });
          }
          if (!c.cacheHit) axEmitUsageEvent('chat', last, usageContext, true);
          controller.enqueue(last);
          controller.close();
        } catch (e) {
          controller.error(toAxError(e, this.client, ctx.timeoutMs));
        }
      },
      cancel: () => s.cancel(),
    });
  }

  private unsupported(what: string): AxAIServiceError {
    return toAxError(
      invalid(
        this.client,
        `${what}: not supported; llm-actors clients serve chat completions only`,
      ),
      this.client,
      undefined,
    ) as AxAIServiceError;
  }
}
