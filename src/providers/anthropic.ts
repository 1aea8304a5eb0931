/**
 * The Anthropic Messages wire format (`POST {baseUrl}/v1/messages`): system and developer
 * messages lifted to `system`, `max_tokens` always sent, the whole chat in content blocks (see
 * anthropic-wire.ts). Streams are SSE events: message_start, content_block_start / delta / stop…,
 * message_delta, message_stop.
 */
import type { CachedCompletion } from '../model/answer.js';
import type { ResolvedClientConfig } from '../config/types.js';
import type { ReasoningPart } from '../model/chat.js';
import type { ChatMessage, EffectiveParams, FinishReason, Usage } from '../model/request.js';
import { SseParser } from '../transport/sse.js';
import {
  anthropicMessages,
  anthropicUsage,
  contentOf,
  JSON_TOOL,
  jsonAnswer,
  maxTokensOf,
  writeChatOptions,
} from './anthropic-wire.js';
import { HttpProvider } from './http-provider.js';
import type { DeltaCallback, ProviderAnswer, ProviderCall } from './provider.js';
import { inBandText, midStreamError, StreamReader } from './stream-reader.js';

export { ANTHROPIC_DEFAULT_MAX_TOKENS, anthropicUsage } from './anthropic-wire.js';

/** The API version header sent unless the client's `headers` set another. */
export const ANTHROPIC_VERSION = '2023-06-01';

const FINISH: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/** Maps an Anthropic `stop_reason` to ours. */
export function anthropicFinishReason(reason: unknown): FinishReason {
  return typeof reason === 'string' ? (FINISH[reason] ?? 'other') : 'stop';
}

type Json = Record<string, unknown>;

/** The Messages API request body of a chat. */
export function anthropicBody(
  model: string,
  messages: ChatMessage[],
  params: EffectiveParams,
): Json {
  const { system, turns } = anthropicMessages(messages);
  const body: Json = params.extra ? { ...params.extra } : {};
  body.model = model;
  body.max_tokens = maxTokensOf(params);
  body.messages = turns;
  if (system.length > 0) body.system = system.join('\n\n');
  if (params.temperature !== undefined) body.temperature = params.temperature;
  if (params.stop !== undefined) body.stop_sequences = params.stop;
  writeChatOptions(body, params);
  return body;
}

/** Statuses of the error types Anthropic sends inside a stream (to decide on a retry). */
const ERROR_STATUS: Record<string, number> = {
  overloaded_error: 529,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  invalid_request_error: 400,
};

/** The most content blocks one streamed answer may have. */
const MAX_STREAM_BLOCKS = 4096;

/** What a streamed content block is, by its index. */
type Open =
  | { kind: 'text' | 'other' }
  | { kind: 'json'; empty: boolean }
  | { kind: 'tool'; call: number; empty: boolean }
  | { kind: 'thinking'; part: { type: 'reasoning'; text: string; signature?: string } };

/** Anthropic message_start … content_block_* … message_delta, message_stop. */
class AnthropicStreamReader extends StreamReader {
  protected readonly terminator = 'message_stop';
  private readonly sse = new SseParser(this.limits.maxEventBytes);
  /** message_start's usage, updated by message_delta's. */
  private readonly usage: Json = {};
  private readonly blocks = new Map<number, Open>();
  private readonly parts: ReasoningPart[] = [];
  private calls = 0;
  /** Content blocks started so far. */
  private started = 0;
  private jsonAnswered = false;
  /** message_delta brought the stop reason: the answer is whole, message_stop or not. */
  private stopped = false;

  constructor(
    config: ResolvedClientConfig,
    secrets: readonly string[],
    onDelta: DeltaCallback,
    /** The answer is JSON through the forced tool: its input streams as text. */
    private readonly json: boolean,
  ) {
    super(config, secrets, onDelta);
  }

  protected read(text: string): void {
    for (const event of this.sse.push(text)) this.event(event.event, event.data);
  }

  /** message_start told the input tokens (and cache reads and writes): billed once it is sent. */
  override paid(): Usage | undefined {
    return this.usage.input_tokens === undefined ? undefined : anthropicUsage(this.usage);
  }

  private event(type: string, data: string): void {
    if (this.done || type === 'ping') return;
    const event = this.object(data);
    if (event === undefined) return;
    switch (event.type ?? type) {
      case 'message_start': {
        const message = (event.message ?? {}) as Json;
        if (typeof message.model === 'string') this.model = message.model;
        Object.assign(this.usage, message.usage);
        return;
      }
      case 'content_block_start':
        this.start(Number(event.index), (event.content_block ?? {}) as Json);
        return;
      case 'content_block_delta':
        this.blockDelta(Number(event.index), (event.delta ?? {}) as Json);
        return;
      case 'content_block_stop':
        this.stop(Number(event.index));
        return;
      case 'message_delta': {
        const delta = event.delta as { stop_reason?: unknown } | undefined;
        if (delta?.stop_reason != null) {
          this.stopped = true;
          const reason = anthropicFinishReason(delta.stop_reason);
          this.finishReason = reason === 'tool_calls' && this.jsonOnly() ? 'stop' : reason;
        }
        Object.assign(this.usage, event.usage);
        return;
      }
      case 'message_stop':
        this.finish(this.whole());
        return;
      case 'error': {
        const error = (event.error ?? {}) as { type?: unknown; message?: unknown };
        const status = ERROR_STATUS[String(error.type)] ?? null;
        const message = `${inBandText(error.type)}: ${inBandText(error.message)}`;
        throw midStreamError(this.client, message, status, this.secrets);
      }
      default:
        return;
    }
  }

  protected finishedWithout() {
    return this.stopped ? this.whole() : undefined;
  }

  /** The reasoning parts set on the answer, and the usage to finish it with. */
  private whole() {
    if (this.parts.length > 0) this.answer.reasoningParts(0, this.parts);
    return anthropicUsage(this.usage);
  }

  /** The forced JSON tool was the only call: the answer is text, not a tool call. */
  private jsonOnly(): boolean {
    return this.jsonAnswered && this.calls === 0;
  }

  private start(index: number, block: Json): void {
    // Each block holds an entry however little it says: their number is bounded too.
    this.checkIndex('content block', this.started++, MAX_STREAM_BLOCKS);
    if (block.type === 'text') {
      this.blocks.set(index, { kind: 'text' });
      if (typeof block.text === 'string') this.delta(block.text);
    } else if (block.type === 'tool_use' && typeof block.name === 'string') {
      if (this.json && block.name === JSON_TOOL) {
        this.jsonAnswered = true;
        this.blocks.set(index, { kind: 'json', empty: true });
        return;
      }
      const call = this.calls++;
      this.blocks.set(index, { kind: 'tool', call, empty: true });
      const id = typeof block.id === 'string' ? block.id : '';
      this.toolCallDelta({ index: call, id, name: block.name, arguments: '' });
    } else if (block.type === 'thinking') {
      const part = { type: 'reasoning' as const, text: '' };
      this.parts.push(part);
      this.blocks.set(index, { kind: 'thinking', part });
      if (typeof block.thinking === 'string') this.think(part, block.thinking);
      if (typeof block.signature === 'string' && block.signature !== '') {
        this.count(block.signature);
        (part as { signature?: string }).signature = block.signature;
      }
    } else if (block.type === 'redacted_thinking' && typeof block.data === 'string') {
      this.count(block.data);
      this.parts.push({ type: 'redacted-reasoning', data: block.data });
    } else {
      this.blocks.set(index, { kind: 'other' });
    }
  }

  /** A piece of a tool's input JSON: the JSON answer's text, or a call's arguments. */
  private input(open: { kind: 'json' | 'tool'; empty: boolean; call?: number }, json: string) {
    if (json === '') return;
    open.empty = false;
    if (open.call === undefined) this.delta(json);
    else this.toolCallDelta({ index: open.call, arguments: json });
  }

  /** A tool block ended: one that streamed no input took none, `{}`. */
  private stop(index: number): void {
    const open = this.blocks.get(index);
    if ((open?.kind === 'json' || open?.kind === 'tool') && open.empty) this.input(open, '{}');
  }

  private think(part: { text: string }, text: string): void {
    part.text += text;
    this.reasoningDelta(text);
  }

  private blockDelta(index: number, delta: Json): void {
    const open = this.blocks.get(index);
    if (delta.type === 'text_delta' && typeof delta.text === 'string') {
      this.delta(delta.text);
    } else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
      if (open?.kind === 'json' || open?.kind === 'tool') this.input(open, delta.partial_json);
    } else if (open?.kind === 'thinking') {
      if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string') {
        this.think(open.part, delta.thinking);
      } else if (delta.type === 'signature_delta' && typeof delta.signature === 'string') {
        // A signature is held like the text: endless signature deltas were held without bound.
        this.count(delta.signature);
        open.part.signature = (open.part.signature ?? '') + delta.signature;
      }
    }
  }
}

/** The anthropic provider of one client. */
export class AnthropicProvider extends HttpProvider {
  constructor(config: ResolvedClientConfig, secrets: readonly string[], now: () => number) {
    super(config, secrets, now, 'anthropic', '/v1/messages', {
      'anthropic-version': ANTHROPIC_VERSION,
      ...(config.apiKey ? { 'x-api-key': config.apiKey } : {}),
    });
  }

  /** A JSON answer comes as the forced tool's call: its input is made the answer's text. */
  override call(call: ProviderCall): Promise<ProviderAnswer> {
    const answer = super.call(call);
    if (call.onDelta !== undefined || call.params.responseFormat?.type !== 'json') return answer;
    return answer.then((a) => ({ completion: jsonAnswer(a.completion), raw: a.raw }));
  }

  protected body(messages: ChatMessage[], params: EffectiveParams, stream: boolean): Json {
    const body = anthropicBody(this.config.model, messages, params);
    if (stream) body.stream = true;
    return body;
  }

  protected reader(onDelta: DeltaCallback, params: EffectiveParams): StreamReader {
    const json = params.responseFormat?.type === 'json';
    return new AnthropicStreamReader(this.config, this.secrets, onDelta, json);
  }

  protected normalize(raw: Json): CachedCompletion {
    if (!Array.isArray(raw.content)) throw this.bad('no content in the answer');
    const parts = contentOf(raw.content as Array<Json | null>);
    const completion: CachedCompletion = {
      text: parts.text,
      finishReason: anthropicFinishReason(raw.stop_reason),
      usage: anthropicUsage((raw.usage ?? {}) as Json),
      model: typeof raw.model === 'string' ? raw.model : this.config.model,
    };
    if (parts.toolCalls !== undefined) completion.toolCalls = parts.toolCalls;
    if (parts.reasoning !== undefined) completion.reasoning = parts.reasoning;
    if (parts.reasoningParts !== undefined) completion.reasoningParts = parts.reasoningParts;
    return completion;
  }
}
