/**
 * The driver provider (the DriverLM pattern): any backend as two functions, `request` that
 * sends and `output` that normalizes. A throw from either is a typed failed request, never a
 * crash of the actor.
 */
import type { DriverOutput, ResolvedClientConfig } from '../config/types.js';
import { FINISH_REASONS, type FinishReason } from '../model/request.js';
import { scrub } from '../model/redact.js';
import { safeCause } from '../policy/classify.js';
import { badResponse } from '../model/failures.js';
import type { CachedChoice, CachedCompletion } from '../model/answer.js';
import { makeUsage, type Provider, type ProviderAnswer, type ProviderCall } from './provider.js';

function finish(value: unknown, client: string): FinishReason {
  if (value === undefined) return 'stop';
  if (typeof value === 'string' && FINISH_REASONS.has(value)) return value as FinishReason;
  throw badResponse(
    client,
    `output().finishReason ${JSON.stringify(value)} is not a finish reason`,
  );
}

function noResume(): void {}

/** The driver provider of one client. */
export class DriverProvider implements Provider {
  constructor(
    private readonly config: ResolvedClientConfig,
    private readonly secrets: readonly string[],
  ) {}

  /** Calls the driver; a streamed call gets the whole answer as one delta (a driver has no stream). */
  async call({ messages, params, cancel, onDelta }: ProviderCall): Promise<ProviderAnswer> {
    const driver = this.config.driver;
    const name = this.config.name;
    if (!driver) throw new Error(`${name}: driver client without driver functions`);
    const raw: unknown = await driver.request({
      messages,
      model: this.config.model,
      temperature: params.temperature,
      maxTokens: params.maxTokens,
      stop: params.stop,
      seed: params.seed,
      extra: params.extra,
      signal: cancel.signal,
    });
    let out: DriverOutput;
    try {
      out = await driver.output(raw);
    } catch (cause) {
      const message = scrub(String((cause as Error)?.message ?? cause), this.secrets);
      throw badResponse(name, `output() threw: ${message}`, safeCause(cause, this.secrets));
    }
    if (typeof out !== 'object' || out === null || typeof out.text !== 'string') {
      throw badResponse(name, 'output() must return an object with a string text');
    }
    let choices: CachedChoice[] | undefined;
    if (out.choices !== undefined) {
      if (!Array.isArray(out.choices) || out.choices.some((c) => typeof c?.text !== 'string')) {
        throw badResponse(name, 'output().choices must be an array of { text }');
      }
      choices = out.choices.map((c) => ({
        text: c.text,
        finishReason: finish(c.finishReason, name),
      }));
    }
    const usage = out.usage ?? {};
    const completion: CachedCompletion = {
      text: out.text,
      finishReason: finish(out.finishReason, name),
      usage: makeUsage(usage.promptTokens, usage.completionTokens, usage.totalTokens),
      model: typeof out.model === 'string' ? out.model : this.config.model,
    };
    if (choices && choices.length > 1) completion.choices = choices;
    // Nothing is left to read, so there is nothing to pause: the consumer's answer is ignored.
    if (onDelta !== undefined && out.text !== '') onDelta({ text: out.text }, noResume);
    return { completion, raw };
  }

  async close(): Promise<void> {}

  async destroy(): Promise<void> {}
}
