/**
 * An llm-actors completion as Ax's chat response: results, finish reasons, usage and metadata,
 * with the debug log and usage event Ax's own providers emit.
 */
import { axEmitUsageEvent } from '@ax-llm/ax';
import type {
  AxAIServiceOptions,
  AxChatResponse,
  AxChatResponseResult,
  AxLoggerFunction,
  AxModelUsage,
} from '@ax-llm/ax';
import type { ReasoningPart, ToolCall } from '../../model/chat.js';
import type { Choice, Completion, FinishReason } from '../../model/request.js';
import { answerMetadata } from '../shared/metadata.js';
import { AX_METADATA_KEY, type AxServiceResponseMetadata } from './types.js';

/** Ax's finish reason for each of llm-actors'; Ax has no word for `other`. */
export const FINISH_REASONS: Record<FinishReason, AxChatResponseResult['finishReason']> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content_filter',
  tool_calls: 'function_call',
  error: 'error',
  other: undefined,
};

/** What one `chat()` call knows beyond its request: who answers, and how Ax wants it told. */
export interface ChatContext {
  /** The service's name, Ax's `modelUsage.ai`. */
  service: string;
  client: string;
  sessionId: string | undefined;
  debug: boolean;
  logger: AxLoggerFunction;
  /** The deadline set through Ax, if any (for Ax's timeout error). */
  timeoutMs: number | undefined;
  usageContext: AxAIServiceOptions['usageContext'];
  /**
   * False when Ax asked not to see thoughts (`showThoughts: false`): no `thought`, though
   * signed thought blocks still come back, as Anthropic's function loop needs them.
   */
  showThoughts: boolean;
}

/**
 * The whole answer of a non-streamed call, logged and counted as Ax's providers do;
 * `inventId` names a tool call that came without an id.
 */
export function toResponse(
  c: Completion,
  ctx: ChatContext,
  inventId: (index: number) => string,
): AxChatResponse {
  const choices: Choice[] = c.choices ?? [c];
  const res: AxChatResponse = {
    ...session(ctx),
    results: choices.map((choice, index) => {
      const result: AxChatResponseResult = {
        index,
        content: choice.text,
        finishReason: FINISH_REASONS[choice.finishReason],
      };
      if (choice.toolCalls !== undefined) {
        result.functionCalls = choice.toolCalls.map((call, i) =>
          functionCall(call, call.id || inventId(i)),
        );
      }
      if (choice.reasoning !== undefined && ctx.showThoughts) result.thought = choice.reasoning;
      const blocks = thoughtBlocks(choice.message.reasoning);
      if (blocks !== undefined) result.thoughtBlocks = blocks;
      return result;
    }),
    modelUsage: modelUsage(c, ctx),
    providerMetadata: providerMetadata(c),
  };
  if (ctx.debug) ctx.logger({ name: 'ChatResponseResults', value: [...res.results] });
  // A cache hit cost nothing: counting it would make Ax's usage totals lie.
  if (!c.cacheHit) axEmitUsageEvent('chat', res, ctx.usageContext, false);
  return res;
}

/** A tool call as Ax's function call under `id`; its params the model's JSON text, parsed by Ax. */
function functionCall(
  call: ToolCall,
  id: string,
): NonNullable<AxChatResponseResult['functionCalls']>[number] {
  return { id, type: 'function', function: { name: call.name, params: call.arguments } };
}

/**
 * The reasoning parts as Ax's thought blocks, when any must go back as it came (signed or
 * redacted: Anthropic's tool loop checks them); undefined when the plain thought says it all.
 */
export function thoughtBlocks(
  parts: ReasoningPart[] | undefined,
): AxChatResponseResult['thoughtBlocks'] {
  if (!parts?.some((p) => p.type === 'redacted-reasoning' || p.signature !== undefined)) {
    return undefined;
  }
  return parts.map((p) =>
    p.type === 'redacted-reasoning'
      ? { data: p.data, encrypted: true }
      : {
          data: p.text,
          encrypted: false,
          ...(p.signature === undefined ? {} : { signature: p.signature }),
        },
  );
}

/** `{ sessionId }` when the call has one, for every response and stream chunk. */
export function session(ctx: ChatContext): { sessionId?: string } {
  return ctx.sessionId === undefined ? {} : { sessionId: ctx.sessionId };
}

/** Ax's usage record of an answer: the service's name, the model that answered, its tokens. */
export function modelUsage(c: Completion, ctx: ChatContext): AxModelUsage {
  return { ai: ctx.service, model: c.model, tokens: { ...c.usage } };
}

/** `providerMetadata`, the {@link AxServiceResponseMetadata} under its key. */
export function providerMetadata(c: Completion): Record<string, Record<string, unknown>> {
  const meta: AxServiceResponseMetadata = answerMetadata(c);
  return { [AX_METADATA_KEY]: { ...meta } };
}
