/**
 * The gateway's Responses route, `POST /v1/responses`: the stateless subset of OpenAI's
 * Responses API on the same runtime as the chat route (`model` names a client), answered as a
 * `response` object or as Responses stream events.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { chatRoute, type ChatContext, type Dialect } from './chat-route.js';
import { inResponsesTerms } from './responses-names.js';
import { responseBody, responseHead } from './responses-output.js';
import { readResponsesRequest, type GatewayResponsesRequest } from './responses-request.js';
import { responsesWriter } from './responses-stream.js';

const RESPONSES: Dialect<GatewayResponsesRequest> = {
  read: readResponsesRequest,
  inBodyTerms: inResponsesTerms,
  answer: (completion, request) =>
    responseBody(completion, responseHead(completion.model, request.echo)),
  writer: responsesWriter,
};

/** The handler of `POST /v1/responses`. */
export function responsesHandler(
  context: ChatContext,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return chatRoute(context, RESPONSES);
}
