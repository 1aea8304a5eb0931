/**
 * The runtime's INVALID_REQUEST errors told in a Responses body's terms: `options.maxTokens` is
 * `max_output_tokens`, `options.responseFormat.schema` is `text.format.schema`, and
 * `messages[3].content[0].url` is the `input[2].content[0].image_url` the caller sent.
 */
import { renamedAnswer, renamedPath } from './chat-names.js';
import type { GatewayResponsesRequest } from './responses-request.js';
import type { ErrorAnswer } from './wire.js';

/** Runtime option names as a Responses body spells them (tools are flat, as the runtime's). */
const OPTIONS: Readonly<Record<string, string>> = {
  maxTokens: 'max_output_tokens',
  toolChoice: 'tool_choice',
  parallelToolCalls: 'parallel_tool_calls',
  responseFormat: 'text.format',
};

/** Message keys as a Responses item spells them, by the message's role. */
function messageKey(name: string, role: string | undefined): string {
  if (name === 'toolCallId') return 'call_id';
  if (name === 'content' && role === 'tool') return 'output';
  return name;
}

/** A runtime path in the terms of `request`'s body, or undefined when it names none of it. */
function responsesPath(path: string, request: GatewayResponsesRequest): string | undefined {
  if (path.startsWith('options.') && !path.startsWith('options.extra.')) {
    return renamedPath(path.slice('options.'.length), (name, parent) =>
      parent === '' ? (OPTIONS[name] ?? name) : name,
    );
  }
  const match = /^messages(?:\[(\d+)\])?(.*)$/.exec(path);
  if (match === null) return undefined;
  if (match[1] === undefined) return 'input' + match[2];
  const i = Number(match[1]);
  const source = request.sources[i] ?? 'input';
  const role = request.messages[i]?.role;
  const call = /^\.toolCalls\[(\d+)\](.*)$/.exec(match[2]!);
  if (call !== null) {
    const at = request.callSources[i]?.[Number(call[1])] ?? source;
    return at + (call[2] === '.id' ? '.call_id' : call[2]);
  }
  if (match[2] === '') return source;
  return (
    source +
    '.' +
    renamedPath(match[2]!.slice(1), (name, parent) =>
      parent === ''
        ? messageKey(name, role)
        : parent === 'content' && name === 'url'
          ? 'image_url'
          : name,
    )
  );
}

/** The library's words after a path, in Responses terms. */
function responsesTail(text: string): string {
  return text
    .replace(/(['"])image\1/, '$1input_image$1')
    .replace('{ name }', "{ type: 'function', name }")
    .replace(/\btoolCallId\b/g, 'call_id')
    .replace(/\btoolCalls\b/g, 'function_call items');
}

/** A runtime INVALID_REQUEST answer renamed into the Responses body's terms. */
export function inResponsesTerms(
  answer: ErrorAnswer,
  request: GatewayResponsesRequest,
): ErrorAnswer {
  return renamedAnswer(answer, (path) => responsesPath(path, request), responsesTail);
}
