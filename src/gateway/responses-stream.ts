/**
 * A streamed answer as the Responses API's server-sent events, each with its `event:` line and
 * `sequence_number`: `response.created` and `response.in_progress`; for each output item its
 * `response.output_item.added`, deltas (`response.reasoning_text.delta`, and when the request
 * asked for `reasoning.summary` also `response.reasoning_summary_text.delta` in summary part 0;
 * `response.output_text.delta` inside a content part; `response.function_call_arguments.delta`)
 * and, once the answer is complete, its `.done` events; then `response.completed` (or
 * `response.incomplete`).
 *
 * Items open in the order their first delta comes and all close at the end: the runtime's
 * deltas may interleave (text after a tool call), and a reasoning item's `encrypted_content` is
 * known only from the completed answer.
 */
import type { StreamChunk, ToolCall } from '../model/chat.js';
import type { Completion } from '../model/request.js';
import type { StreamWriter } from './chat-route.js';
import type { GatewayResponsesRequest } from './responses-request.js';
import {
  functionCallItem,
  messageItem,
  newId,
  outputText,
  reasoningItem,
  responseHead,
  responseObject,
  statusOf,
  summaryText,
} from './responses-output.js';
import { errorAnswer } from './wire.js';

/** An output item under way: its kind, id, place in `output` and what has come so far. */
interface OpenItem {
  kind: 'reasoning' | 'message' | 'function_call';
  id: string;
  index: number;
  text: string;
  call?: ToolCall;
}

/** The writer of one streamed Response; `done` gets its output items once they are complete. */
export function responsesWriter(
  request: GatewayResponsesRequest,
  model: string,
  done?: (output: object[]) => void,
): StreamWriter {
  const head = responseHead(model, request.echo);
  const items: OpenItem[] = [];
  const calls = new Map<number, OpenItem>();
  let reasoning: OpenItem | undefined;
  let message: OpenItem | undefined;
  let sequence = 0;
  const event = (type: string, fields: object): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: sequence++ })}\n\n`;
  const open = (kind: OpenItem['kind'], item: object, part?: object): [OpenItem, string] => {
    const id = (item as { id: string }).id;
    const opened: OpenItem = { kind, id, index: items.length, text: '' };
    items.push(opened);
    let out = event('response.output_item.added', { output_index: opened.index, item });
    if (part !== undefined) {
      out += event('response.content_part.added', {
        item_id: id,
        output_index: opened.index,
        content_index: 0,
        part,
      });
    }
    return [opened, out];
  };
  const at = (item: OpenItem) => ({ item_id: item.id, output_index: item.index });

  return {
    start() {
      const created = responseObject(head, 'in_progress', []);
      return (
        event('response.created', { response: created }) +
        event('response.in_progress', { response: created })
      );
    },
    chunk(chunk: StreamChunk) {
      let out = '';
      if (chunk.reasoning !== undefined && chunk.reasoning !== '') {
        if (reasoning === undefined) {
          const id = newId('rs');
          const item = { id, type: 'reasoning', summary: [], content: [] };
          [reasoning, out] = open('reasoning', item, { type: 'reasoning_text', text: '' });
          if (request.summarize) {
            out += event('response.reasoning_summary_part.added', {
              ...at(reasoning),
              summary_index: 0,
              part: summaryText(''),
            });
          }
        }
        reasoning.text += chunk.reasoning;
        out += event('response.reasoning_text.delta', {
          ...at(reasoning),
          content_index: 0,
          delta: chunk.reasoning,
        });
        if (request.summarize) {
          out += event('response.reasoning_summary_text.delta', {
            ...at(reasoning),
            summary_index: 0,
            delta: chunk.reasoning,
          });
        }
      }
      if (chunk.text !== '') {
        let opened = '';
        if (message === undefined) [message, opened] = openMessage(open);
        message.text += chunk.text;
        out += opened;
        out += event('response.output_text.delta', {
          ...at(message),
          content_index: 0,
          delta: chunk.text,
          logprobs: [],
        });
      }
      const fragment = chunk.toolCall;
      if (fragment !== undefined) {
        let item = calls.get(fragment.index);
        if (item === undefined) {
          const call = { id: fragment.id ?? '', name: fragment.name ?? '', arguments: '' };
          const [opened, added] = open(
            'function_call',
            functionCallItem(newId('fc'), call, 'in_progress'),
          );
          item = opened;
          item.call = call;
          calls.set(fragment.index, item);
          out += added;
        }
        item.text += fragment.arguments;
        if (fragment.arguments !== '') {
          out += event('response.function_call_arguments.delta', {
            ...at(item),
            delta: fragment.arguments,
          });
        }
      }
      return out;
    },
    end(completion: Completion) {
      let out = '';
      if (message === undefined && calls.size === 0) {
        [message, out] = openMessage(open);
      }
      if (reasoning === undefined && completion.message.reasoning !== undefined) {
        // Reasoning that streamed no text (redacted thinking) still goes back, encrypted.
        const item = { id: newId('rs'), type: 'reasoning', summary: [], content: [] };
        let opened: string;
        [reasoning, opened] = open('reasoning', item, { type: 'reasoning_text', text: '' });
        out += opened;
      }
      const status = statusOf(completion.finishReason);
      const finalCalls = completion.toolCalls ?? [];
      const callOrder = [...calls.keys()].sort((a, b) => a - b);
      const output: object[] = [];
      for (const item of items) {
        let done: object;
        if (item.kind === 'reasoning') {
          const part = { type: 'reasoning_text', text: item.text };
          out += event('response.reasoning_text.done', {
            ...at(item),
            content_index: 0,
            text: item.text,
          });
          out += event('response.content_part.done', { ...at(item), content_index: 0, part });
          if (request.summarize) {
            const summary = { ...at(item), summary_index: 0 };
            out += event('response.reasoning_summary_text.done', { ...summary, text: item.text });
            out += event('response.reasoning_summary_part.done', {
              ...summary,
              part: summaryText(item.text),
            });
          }
          const parts = completion.message.reasoning;
          done = reasoningItem(item.id, item.text, parts, request.summarize);
        } else if (item.kind === 'message') {
          out += event('response.output_text.done', {
            ...at(item),
            content_index: 0,
            text: item.text,
            logprobs: [],
          });
          out += event('response.content_part.done', {
            ...at(item),
            content_index: 0,
            part: outputText(item.text),
          });
          done = messageItem(item.id, item.text, status);
        } else {
          // The completed answer's call is the whole one (an id or name may come late).
          const position = callOrder.findIndex((index) => calls.get(index) === item);
          const call = finalCalls[position] ?? { ...item.call!, arguments: item.text };
          out += event('response.function_call_arguments.done', {
            ...at(item),
            name: call.name,
            arguments: call.arguments,
          });
          done = functionCallItem(item.id, call, 'completed');
        }
        out += event('response.output_item.done', { output_index: item.index, item: done });
        output.push(done);
      }
      // The model that finished the answer, as the plain answer says (a resumed stream's last
      // member, not the first).
      const response = responseObject({ ...head, model: completion.model }, status, output, {
        usage: completion.usage,
        finish: completion.finishReason,
      });
      done?.(output);
      const type = status === 'completed' ? 'response.completed' : 'response.incomplete';
      return out + event(type, { response });
    },
    fail(error: unknown) {
      const { code, message: text, param, type } = errorAnswer(error).body.error;
      const failed = responseObject(head, 'failed', [], { error: { code, message: text } });
      // `error` beside OpenAI's fields: the openai SDK's stream throws on an event that has it,
      // so a caller iterating the stream (LangChain, which skips `error` events) gets an error,
      // not the text so far as if it were the whole answer.
      const nested = { type, code, message: text, param };
      return (
        event('error', { code, message: text, param, error: nested }) +
        event('response.failed', { response: failed })
      );
    },
  };
}

/** Opens the assistant's message item with its one `output_text` part. */
function openMessage(
  open: (kind: 'message', item: object, part: object) => [OpenItem, string],
): [OpenItem, string] {
  const id = newId('msg');
  const item = { id, type: 'message', role: 'assistant', status: 'in_progress', content: [] };
  return open('message', item, { type: 'output_text', text: '', annotations: [], logprobs: [] });
}
