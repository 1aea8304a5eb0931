/**
 * A completion stream as AI SDK V3 stream parts.
 */
import type { LanguageModelV3StreamPart, SharedV3Warning } from '@ai-sdk/provider';
import type { CompletionStream, StreamChunk } from '../../client/stream.js';
import type { Completion } from '../../model/request.js';
import { readableAfterFirst } from '../shared/stream.js';
import { apiCallError } from './errors.js';
import { finishReason, providerMetadata, reasoningMetadata, toolCall, usage } from './result.js';

// The runtime streams one text and one reasoning per answer: one id each serves every part.
const TEXT_ID = 'text';
const REASONING_ID = 'reasoning';

type Part = LanguageModelV3StreamPart;

/**
 * Turns chunks into parts: a text and a reasoning block, each opened on its first delta and
 * closed at the end (where the reasoning's signatures are known); a tool-input block per tool
 * call, opened by its first fragment, closed at the end and followed by the whole call under
 * the same id (the AI SDK ties them by id): the provider's id when the first fragment has it,
 * else an invented one, even if a later fragment brings the provider's.
 */
class PartWriter {
  private text = false;
  private reasoning = false;
  /** The tool-input id of each call, by its index. */
  private readonly inputs: string[] = [];

  constructor(private readonly inventId: (index: number) => string) {}

  delta(chunk: StreamChunk): Part[] {
    // Several answers per call (`extra: { n }`) have no place in the AI SDK: the first is it.
    if (chunk.choice !== undefined && chunk.choice !== 0) return [];
    const parts: Part[] = [];
    if (chunk.reasoning !== undefined && chunk.reasoning !== '') {
      if (!this.reasoning) parts.push({ type: 'reasoning-start', id: REASONING_ID });
      this.reasoning = true;
      parts.push({ type: 'reasoning-delta', id: REASONING_ID, delta: chunk.reasoning });
    }
    if (chunk.text !== '') {
      if (!this.text) parts.push({ type: 'text-start', id: TEXT_ID });
      this.text = true;
      parts.push({ type: 'text-delta', id: TEXT_ID, delta: chunk.text });
    }
    const call = chunk.toolCall;
    if (call !== undefined) {
      let id = this.inputs[call.index];
      if (id === undefined) {
        id = call.id || this.inventId(call.index);
        this.inputs[call.index] = id;
        parts.push({ type: 'tool-input-start', id, toolName: call.name ?? '' });
      }
      if (call.arguments !== '')
        parts.push({ type: 'tool-input-delta', id, delta: call.arguments });
    }
    return parts;
  }

  end(completion: Completion): Part[] {
    const parts: Part[] = [];
    const metadata = reasoningMetadata(completion);
    if (!this.reasoning && metadata !== undefined) {
      parts.push({ type: 'reasoning-start', id: REASONING_ID });
      this.reasoning = true;
    }
    if (this.reasoning) {
      parts.push({
        type: 'reasoning-end',
        id: REASONING_ID,
        ...(metadata === undefined ? {} : { providerMetadata: metadata }),
      });
    }
    if (this.text) parts.push({ type: 'text-end', id: TEXT_ID });
    // The completion lists the calls in index order, without the indexes that had no fragment.
    const started = this.inputs.filter((id) => id !== undefined);
    for (const id of started) parts.push({ type: 'tool-input-end', id });
    (completion.toolCalls ?? []).forEach((call, i) => {
      parts.push(toolCall(call, started[i] ?? (call.id || this.inventId(i))) as Part);
    });
    return parts;
  }
}

/**
 * The V3 stream parts of `stream`: `stream-start`, the reasoning, text and tool-input parts,
 * the tool calls, `response-metadata` and `finish`; a failure after the first delta ends it
 * with an `error` part. `inventId` names a tool call that came without an id.
 *
 * @throws the runtime's error, as-is, when the stream fails before its first delta.
 */
export function streamParts(
  stream: CompletionStream,
  warnings: SharedV3Warning[],
  client: string,
  inventId: (index: number) => string,
): Promise<ReadableStream<Part>> {
  const writer = new PartWriter(inventId);
  return readableAfterFirst<Part>(stream, {
    start: [{ type: 'stream-start', warnings }],
    delta: (chunk) => writer.delta(chunk),
    end: (completion) => [
      ...writer.end(completion),
      { type: 'response-metadata', modelId: completion.model },
      {
        type: 'finish',
        finishReason: finishReason(completion.finishReason),
        usage: usage(completion),
        providerMetadata: providerMetadata(completion),
      },
    ],
    failed: (error) => ({ part: { type: 'error', error: apiCallError(error, client) } }),
  });
}
