/**
 * The gateway's Responses route, `POST /v1/responses`: the stateless subset of OpenAI's
 * Responses API on the same runtime as the chat route (`model` names a client), answered as a
 * `response` object or as Responses stream events.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { chatRoute, type ChatContext, type Dialect } from './chat-route.js';
import { ItemMemory } from './responses-memory.js';
import { inResponsesTerms } from './responses-names.js';
import { responseBody, responseHead } from './responses-output.js';
import { readResponsesRequest, type GatewayResponsesRequest } from './responses-request.js';
import { responsesWriter } from './responses-stream.js';

/**
 * The handler of `POST /v1/responses`. It keeps the output items of its recent Responses, so that
 * a later request may name them by `item_reference`.
 */
export function responsesHandler(
  context: ChatContext,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const memory = new ItemMemory();
  const dialect: Dialect<GatewayResponsesRequest> = {
    read: (body) => readResponsesRequest(body, memory),
    inBodyTerms: inResponsesTerms,
    answer: (completion, request) => {
      const head = responseHead(completion.model, request.echo);
      const body = responseBody(completion, head, request.summarize);
      memory.keep(body.output);
      return body;
    },
    writer: (request, model) => responsesWriter(request, model, (output) => memory.keep(output)),
  };
  return chatRoute(context, dialect);
}
