/**
 * The driver provider (the DriverLM pattern): any backend as two functions, `request` that
 * sends (it gets the whole request: messages as given, tools, formats, reasoning, logprobs)
 * and `output` that normalizes (text, tool calls, reasoning, choices). A throw from either is a typed failed request, never a
 * crash of the actor.
 */
import type { DriverOutput, DriverRequest, ResolvedClientConfig } from '../config/types.js';
import { CHAT_OPTION_KEYS } from '../model/chat-options.js';
import { FINISH_REASONS, type FinishReason } from '../model/request.js';
import { scrub } from '../model/redact.js';
import { safeCause } from '../policy/classify.js';
import { badResponse } from '../model/failures.js';
import type { CachedChoice, CachedCompletion } from '../model/answer.js';
import {
  makeUsage,
  type DeltaCallback,
  type Provider,
  type ProviderAnswer,
  type ProviderCall,
} from './provider.js';

function finish(value: unknown, client: string): FinishReason {
  if (value === undefined) return 'stop';
  if (typeof value === 'string' && FINISH_REASONS.has(value)) return value as FinishReason;
  throw badResponse(
    client,
    `output().finishReason ${JSON.stringify(value)} is not a finish reason`,
  );
}

function noResume(): void {}

type OutputChoice = Pick<DriverOutput, 'text' | 'finishReason' | 'toolCalls' | 'reasoning'>;

/** One choice of a driver's output, its tool calls and reasoning checked. */
function choiceOf(out: OutputChoice, client: string, where: string): CachedChoice {
  const calls = out.toolCalls;
  if (
    calls !== undefined &&
    (!Array.isArray(calls) ||
      calls.some(
        (c) =>
          typeof c?.id !== 'string' ||
          typeof c.name !== 'string' ||
          typeof c.arguments !== 'string',
      ))
  ) {
    throw badResponse(client, `${where}.toolCalls must be an array of { id, name, arguments }`);
  }
  if (out.reasoning !== undefined && typeof out.reasoning !== 'string') {
    throw badResponse(client, `${where}.reasoning must be a string`);
  }
  const hasCalls = calls !== undefined && calls.length > 0;
  const choice: CachedChoice = {
    text: out.text,
    finishReason:
      out.finishReason === undefined && hasCalls ? 'tool_calls' : finish(out.finishReason, client),
  };
  if (hasCalls)
    choice.toolCalls = calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments }));
  if (out.reasoning !== undefined && out.reasoning !== '') choice.reasoning = out.reasoning;
  return choice;
}

/** A streamed driver call's one-shot deltas: reasoning, text, then each tool call whole. */
function replay(c: CachedCompletion, onDelta: DeltaCallback): void {
  if (c.reasoning !== undefined) onDelta({ text: '', reasoning: c.reasoning }, noResume);
  if (c.text !== '') onDelta({ text: c.text }, noResume);
  for (const [index, call] of (c.toolCalls ?? []).entries()) {
    onDelta({ text: '', toolCall: { index, ...call } }, noResume);
  }
}

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
    const req: DriverRequest = {
      messages,
      model: this.config.model,
      temperature: params.temperature,
      maxTokens: params.maxTokens,
      stop: params.stop,
      seed: params.seed,
      extra: params.extra,
      signal: cancel.signal,
    };
    // The chat options go only when set, so a plain driver sees the request it saw before.
    for (const key of CHAT_OPTION_KEYS) {
      if (params[key] !== undefined) Object.assign(req, { [key]: params[key] });
    }
    const raw: unknown = await driver.request(req);
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
      choices = out.choices.map((c, i) => choiceOf(c, name, `output().choices[${i}]`));
    }
    const usage = out.usage ?? {};
    const completion: CachedCompletion = {
      ...choiceOf(out, name, 'output()'),
      usage: makeUsage(usage.promptTokens, usage.completionTokens, usage.totalTokens),
      model: typeof out.model === 'string' ? out.model : this.config.model,
    };
    if (choices && choices.length > 1) completion.choices = choices;
    // Nothing is left to read, so there is nothing to pause: the consumer's answer is ignored.
    if (onDelta !== undefined) replay(completion, onDelta);
    return { completion, raw };
  }

  async close(): Promise<void> {}

  async destroy(): Promise<void> {}
}
