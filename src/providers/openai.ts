/**
 * The OpenAI Chat Completions wire format (`POST {baseUrl}/chat/completions`). Any
 * OpenAI-compatible server speaks it: vLLM, Ollama's /v1, LM Studio, llama.cpp server.
 */
import type { ResolvedClientConfig } from '../config.js';
import { LlmActorsError } from '../errors.js';
import type { Choice, FinishReason } from '../request.js';
import { httpError } from '../transport/classify.js';
import { HttpTransport } from '../transport/http.js';
import { makeUsage, type Provider, type ProviderAnswer, type ProviderCall } from './provider.js';

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

interface OpenAIChoice {
  message?: { content?: unknown };
  finish_reason?: unknown;
}

/** The openai provider of one client. */
export class OpenAIProvider implements Provider {
  private readonly transport: HttpTransport;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly config: ResolvedClientConfig,
    private readonly secrets: readonly string[],
    private readonly now: () => number,
  ) {
    this.transport = new HttpTransport(config.baseUrl, config.maxConcurrency);
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
      ...config.headers,
    };
  }

  async call({ messages, params, signal }: ProviderCall): Promise<ProviderAnswer> {
    const body: Record<string, unknown> = {
      ...params.extra,
      model: this.config.model,
      messages,
    };
    if (params.temperature !== undefined) body.temperature = params.temperature;
    if (params.maxTokens !== undefined) body.max_tokens = params.maxTokens;
    const res = await this.transport.postJson(
      '/chat/completions',
      JSON.stringify(body),
      this.headers,
      signal,
    );
    const name = this.config.name;
    if (res.status < 200 || res.status >= 300) {
      throw httpError(name, 'openai', res.status, res.headers, res.body, this.secrets, this.now());
    }
    let raw: { choices?: unknown; usage?: Record<string, unknown>; model?: unknown };
    try {
      raw = JSON.parse(res.body) as typeof raw;
    } catch (cause) {
      throw badResponse(name, 'the body is not JSON', cause);
    }
    if (!Array.isArray(raw?.choices) || raw.choices.length === 0) {
      throw badResponse(name, 'no choices in the answer');
    }
    const choices: Choice[] = (raw.choices as OpenAIChoice[]).map((c) => {
      const content = c?.message?.content;
      if (content !== null && content !== undefined && typeof content !== 'string') {
        throw badResponse(name, 'a choice has non-text content');
      }
      return { text: content ?? '', finishReason: openaiFinishReason(c?.finish_reason) };
    });
    const [primary] = choices as [Choice, ...Choice[]];
    const usage = raw.usage ?? {};
    return {
      completion: {
        text: primary.text,
        finishReason: primary.finishReason,
        usage: makeUsage(usage.prompt_tokens, usage.completion_tokens, usage.total_tokens),
        model: typeof raw.model === 'string' ? raw.model : this.config.model,
        ...(choices.length > 1 ? { choices } : {}),
      },
      raw,
    };
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  destroy(): Promise<void> {
    return this.transport.destroy();
  }
}

/** A BAD_RESPONSE: the provider answered 2xx with something that is not a valid answer. */
export function badResponse(client: string, why: string, cause?: unknown): LlmActorsError {
  return new LlmActorsError('BAD_RESPONSE', `${client}: unusable answer: ${why}`, {
    client,
    retryable: false,
    cause,
  });
}
