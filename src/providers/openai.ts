/**
 * The OpenAI Chat Completions wire format (`POST {baseUrl}/chat/completions`). Any
 * OpenAI-compatible server speaks it: vLLM, Ollama's /v1, LM Studio, llama.cpp server.
 * Streams are chat.completion.chunk events (with `stream_options.include_usage`), ending with
 * `data: [DONE]`.
 */
import type { CachedChoice, CachedCompletion } from '../model/answer.js';
import type { ResolvedClientConfig } from '../config/types.js';
import type { ToolCallDelta } from '../model/chat.js';
import type { ChatMessage, EffectiveParams, FinishReason, Usage } from '../model/request.js';
import { SseParser } from '../transport/sse.js';
import { HttpProvider } from './http-provider.js';
import {
  argumentsText,
  contentText,
  inBandStatus,
  logprobsOf,
  openaiMessages,
  openaiUsage,
  reasoningText,
  toolCallsOf,
  writeChatOptions,
} from './openai-wire.js';
import type { DeltaCallback } from './provider.js';
import { inBandText, MAX_STREAM_CHOICES, midStreamError, StreamReader } from './stream-reader.js';

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content_filter',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
};

/** Maps an OpenAI `finish_reason` to ours. */
export function openaiFinishReason(reason: unknown): FinishReason {
  return typeof reason === 'string' ? (FINISH[reason] ?? 'other') : 'stop';
}

type Json = Record<string, unknown>;

/** OpenAI chat.completion.chunk events, ending with `data: [DONE]`. */
class OpenAIStreamReader extends StreamReader {
  protected readonly terminator = 'data: [DONE]';
  private readonly sse = new SseParser(this.limits.maxEventBytes);
  private usage: unknown = undefined;
  /**
   * Per choice index: false once seen, true once its finish_reason came (a plain array with two
   * counts: two Sets per stream cost more than the rest of its bookkeeping).
   */
  private readonly states: boolean[] = [];
  private seen = 0;
  private finished = 0;

  constructor(
    config: ResolvedClientConfig,
    secrets: readonly string[],
    onDelta: DeltaCallback,
    /** Several choices were asked for: every chunk names its choice. */
    private readonly tagAll: boolean,
  ) {
    super(config, secrets, onDelta);
  }

  protected read(text: string): void {
    for (const event of this.sse.push(text)) this.event(event.data);
  }

  /** The usage chunk arrived (it comes last, just before `[DONE]`). */
  override paid(): Usage | undefined {
    return this.usage === undefined ? undefined : openaiUsage(this.usage);
  }

  private event(data: string): void {
    if (this.done) return;
    if (data === '[DONE]') {
      this.finish(openaiUsage(this.usage));
      return;
    }
    const chunk = this.object(data);
    if (chunk === undefined) return;
    const error = chunk.error as Json | string | undefined;
    if (error) {
      const message = inBandText(typeof error === 'string' ? error : (error.message ?? error));
      const status = typeof error === 'string' ? null : inBandStatus(error);
      throw midStreamError(this.client, message, status, this.secrets);
    }
    if (typeof chunk.model === 'string') this.model = chunk.model;
    if (chunk.usage) this.usage = chunk.usage;
    const choices = chunk.choices as Array<Json | null> | undefined;
    if (!Array.isArray(choices)) return;
    for (let i = 0; i < choices.length; i++) {
      const choice = choices[i];
      if (typeof choice !== 'object' || choice === null) continue;
      const index = Number.isInteger(choice.index) ? (choice.index as number) : i;
      this.checkIndex('choice', index, MAX_STREAM_CHOICES);
      this.choice(choice, index, this.tagAll || index > 0);
    }
  }

  /** Every choice that came has its finish reason: no [DONE] is needed to know it is whole. */
  protected finishedWithout() {
    return this.finished > 0 && this.finished === this.seen ? openaiUsage(this.usage) : undefined;
  }

  private choice(choice: Json, index: number, tag: boolean): void {
    if (this.states[index] === undefined) {
      this.states[index] = false;
      this.seen++;
    }
    const delta = choice.delta as Json | undefined;
    const reasoning = reasoningText(delta);
    if (reasoning !== undefined) this.reasoningDelta(reasoning, index, tag);
    const text = contentText(delta?.content);
    if (text !== undefined) this.delta(text, index, tag);
    if (Array.isArray(delta?.tool_calls)) {
      const calls = delta.tool_calls as Array<Json | null>;
      for (let j = 0; j < calls.length; j++) {
        const call = calls[j];
        const fn = call?.function as Json | undefined;
        const fragment: ToolCallDelta = {
          index: Number.isInteger(call?.index) ? (call!.index as number) : j,
          arguments: argumentsText(fn?.arguments),
        };
        if (typeof call?.id === 'string') fragment.id = call.id;
        if (typeof fn?.name === 'string') fragment.name = fn.name;
        this.toolCallDelta(fragment, index, tag);
      }
    }
    const logprobs = logprobsOf(choice.logprobs);
    if (logprobs !== undefined) this.logprobs(logprobs, index);
    if (choice.finish_reason != null) {
      if (this.states[index] === false) {
        this.states[index] = true;
        this.finished++;
      }
      this.answer.finish(index, openaiFinishReason(choice.finish_reason));
    }
  }
}

/** OpenAI's reasoning models (o1, o3, o4-mini, gpt-5…), which refuse `max_tokens`. */
const REASONING_MODEL = /^(o\d|gpt-5)/;

/** The openai provider of one client. */
export class OpenAIProvider extends HttpProvider {
  /** The model is one of OpenAI's reasoning models (known once: the config does not change). */
  private readonly reasoningModel: boolean;

  constructor(config: ResolvedClientConfig, secrets: readonly string[], now: () => number) {
    super(config, secrets, now, 'openai', '/chat/completions', {
      ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
    });
    this.reasoningModel = REASONING_MODEL.test(config.model);
  }

  protected body(
    messages: ChatMessage[],
    params: EffectiveParams,
    stream: boolean,
  ): Record<string, unknown> {
    const body: Record<string, unknown> = params.extra ? { ...params.extra } : {};
    body.model = this.config.model;
    body.messages = openaiMessages(messages);
    if (params.temperature !== undefined) body.temperature = params.temperature;
    if (params.maxTokens !== undefined) {
      // Reasoning models take only the newer name (known by their names too, so a request that
      // sets no effort, or comes through a group, still reaches them); a caller who sent it
      // through extra chose it.
      const newer =
        params.reasoning !== undefined || 'max_completion_tokens' in body || this.reasoningModel;
      body[newer ? 'max_completion_tokens' : 'max_tokens'] = params.maxTokens;
    }
    writeChatOptions(body, params);
    if (params.stop !== undefined) body.stop = params.stop;
    if (params.seed !== undefined) body.seed = params.seed;
    if (stream) {
      body.stream = true;
      body.stream_options = { include_usage: true };
    }
    return body;
  }

  protected reader(onDelta: DeltaCallback, params: EffectiveParams): StreamReader {
    const n = params.extra?.n;
    return new OpenAIStreamReader(
      this.config,
      this.secrets,
      onDelta,
      typeof n === 'number' && n > 1,
    );
  }

  protected normalize(raw: Record<string, unknown>): CachedCompletion {
    if (!Array.isArray(raw.choices) || raw.choices.length === 0) {
      throw this.bad('no choices in the answer');
    }
    const choices = (raw.choices as Array<Json | null>).map((c) => this.choiceOf(c));
    const primary = choices[0]!;
    // Written out rather than spread from the choice: every answer then has the same shape,
    // which the cache, the reply and the GC all read on every request.
    const completion: CachedCompletion = {
      text: primary.text,
      finishReason: primary.finishReason,
      usage: openaiUsage(raw.usage),
      model: typeof raw.model === 'string' ? raw.model : this.config.model,
    };
    if (primary.toolCalls !== undefined) completion.toolCalls = primary.toolCalls;
    if (primary.reasoning !== undefined) completion.reasoning = primary.reasoning;
    if (primary.logprobs !== undefined) completion.logprobs = primary.logprobs;
    if (choices.length > 1) completion.choices = choices;
    return completion;
  }

  private choiceOf(c: Json | null): CachedChoice {
    const message = c?.message as Json | undefined;
    const text = contentText(message?.content);
    if (text === undefined) throw this.bad('a choice has content that is neither text nor parts');
    const choice: CachedChoice = { text, finishReason: openaiFinishReason(c?.finish_reason) };
    const toolCalls = toolCallsOf(message);
    if (toolCalls !== undefined) choice.toolCalls = toolCalls;
    const reasoning = reasoningText(message);
    if (reasoning !== undefined && reasoning !== '') choice.reasoning = reasoning;
    const logprobs = logprobsOf(c?.logprobs);
    if (logprobs !== undefined) choice.logprobs = logprobs;
    return choice;
  }
}
