/**
 * The runtime's INVALID_REQUEST errors told in the caller's wire terms. The runtime names its
 * own fields (`options.maxTokens`, `messages[0].toolCalls[1].name`, `options.responseFormat.
 * schema`); a gateway caller wrote `max_tokens`, `messages[0].tool_calls[1].function.name`,
 * `response_format.json_schema.schema`, and a 400 must name what the caller can find in its body.
 */
import type { ErrorAnswer } from './wire.js';

/**
 * Renames one segment of a runtime path (`toolCalls[1]` is the segment `toolCalls` with the
 * index `[1]`): `name` under `parent` (the segment before it, already renamed; '' at the top).
 * Returns the wire name, which may hold dots (`function.name`), or '' to drop the segment.
 */
export type SegmentName = (name: string, parent: string, index: string) => string;

/** A runtime path in wire terms, or undefined when the path names nothing of the body. */
export type PathName = (path: string) => string | undefined;

/** The leading field path of a runtime message, up to its first colon. */
const PATH = /^[A-Za-z_$][\w$]*(?:\[\d+\])*(?:\.[A-Za-z_$][\w$]*(?:\[\d+\])*)*(?=:)/;
const SEGMENT = /^([A-Za-z_$][\w$]*)((?:\[\d+\])*)$/;

/**
 * A runtime INVALID_REQUEST answer renamed by `pathName` and `tail` (which rewrites the
 * library's words after the path); `param` set to the top wire field. Other answers pass
 * unchanged.
 */
export function renamedAnswer(
  answer: ErrorAnswer,
  pathName: PathName,
  tail: (text: string) => string,
): ErrorAnswer {
  const error = answer.body.error;
  if (error.code !== 'INVALID_REQUEST') return answer;
  const match = PATH.exec(error.message);
  if (match === null) return answer;
  const path = pathName(match[0]);
  if (path === undefined) return answer;
  const message = path + tail(error.message.slice(match[0].length));
  const param = /^[A-Za-z_$][\w$]*/.exec(path)?.[0] ?? null;
  return { ...answer, body: { error: { ...error, message, param } } };
}

/** `path` with each segment renamed by `name`, its indexes kept. */
export function renamedPath(path: string, name: SegmentName): string {
  let out = '';
  let parent = '';
  for (const segment of path.split('.')) {
    const [, bare, index] = SEGMENT.exec(segment) as unknown as [string, string, string];
    const renamed = name(bare, parent, index);
    if (renamed === '') continue;
    out += (out === '' ? '' : '.') + renamed + index;
    parent = renamed.slice(renamed.lastIndexOf('.') + 1);
  }
  return out;
}

/** What the chat body's terms depend on beyond the path. */
export interface ChatNaming {
  /** The body field the token limit came from: `max_tokens` or `max_completion_tokens`. */
  maxTokensField: string;
  /** Whether the body set `top_logprobs` (the runtime's `logprobs` holds its number). */
  topLogprobs: boolean;
}

/** Runtime option names as a Chat Completions body spells them. */
const CHAT_OPTIONS: Readonly<Record<string, string>> = {
  toolChoice: 'tool_choice',
  parallelToolCalls: 'parallel_tool_calls',
  responseFormat: 'response_format',
  reasoning: 'reasoning_effort',
};

/** Runtime message and part keys as a Chat Completions body spells them, by parent. */
const CHAT_NESTED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  tools: {
    name: 'function.name',
    description: 'function.description',
    parameters: 'function.parameters',
    strict: 'function.strict',
  },
  response_format: {
    schema: 'json_schema.schema',
    name: 'json_schema.name',
    strict: 'json_schema.strict',
  },
  messages: { toolCalls: 'tool_calls', toolCallId: 'tool_call_id', reasoning: 'reasoning_content' },
  tool_calls: { name: 'function.name', arguments: 'function.arguments' },
  content: { url: 'image_url.url' },
  // `reasoning_effort` is `options.reasoning.effort`: one body field for the two names.
  reasoning_effort: { effort: '' },
};

/** A runtime path in Chat Completions terms (`options.` and `options.extra.` dropped). */
export function chatPath(path: string, naming: ChatNaming): string | undefined {
  if (path.startsWith('options.extra.')) return path.slice('options.extra.'.length);
  if (!path.startsWith('options.') && !path.startsWith('messages')) return undefined;
  const own = path.startsWith('options.') ? path.slice('options.'.length) : path;
  return renamedPath(own, (name, parent) => {
    if (parent !== '') return CHAT_NESTED[parent]?.[name] ?? name;
    if (name === 'maxTokens') return naming.maxTokensField;
    if (name === 'logprobs' && naming.topLogprobs) return 'top_logprobs';
    return CHAT_OPTIONS[name] ?? name;
  });
}

/** The library's words after a path, in Chat Completions terms. */
export function chatTail(text: string): string {
  return text
    .replace(/\btoolCalls\b/g, 'tool_calls')
    .replace(/\btoolCallId\b/g, 'tool_call_id')
    .replace(', reasoning)', ', reasoning_content)')
    .replace(/(['"])image\1/, '$1image_url$1')
    .replace('{ name }', "{ type: 'function', function: { name } }");
}
