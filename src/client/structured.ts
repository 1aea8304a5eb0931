/**
 * Structured output: an answer asked for as JSON is parsed and checked against its schema
 * before anyone sees it or it is cached. A mismatch is the model's fault, not the provider's:
 * BAD_RESPONSE, never cached, and the fuse has already counted the call a success.
 */
import type { CachedChoice, CachedCompletion } from '../model/answer.js';
import type { ResponseFormat } from '../model/chat.js';
import { LlmActorsError } from '../model/errors.js';
import { badResponse } from '../model/failures.js';
import { schemaMismatch } from '../model/json-schema.js';
import type { Flight, FlightAnswer } from './flight.js';

/**
 * A flight's outcome with its JSON checked when the request asked for JSON: a fresh answer
 * (a peer's was checked by the peer) that fails the check becomes the BAD_RESPONSE.
 */
export function checkedOutcome(
  client: string,
  flight: Flight,
  outcome: FlightAnswer | LlmActorsError,
): FlightAnswer | LlmActorsError {
  const format = flight.params.responseFormat;
  if (format === undefined || outcome instanceof LlmActorsError || flight.fromPeer) return outcome;
  const checked = withJson(client, format, outcome.completion);
  return checked instanceof LlmActorsError ? checked : { ...outcome, completion: checked };
}

/**
 * `completion` with `json` set on it and on each of its choices, or the BAD_RESPONSE naming
 * the first answer that is not JSON or does not match the schema.
 */
export function withJson(
  client: string,
  format: ResponseFormat,
  completion: CachedCompletion,
): CachedCompletion | LlmActorsError {
  if (format.type !== 'json') return completion;
  const checked: CachedCompletion = { ...completion };
  const problem = fill(checked, format.schema, '');
  if (problem !== undefined) return badResponse(client, problem);
  if (completion.choices !== undefined) {
    const choices: CachedChoice[] = [];
    for (let i = 0; i < completion.choices.length; i++) {
      const choice = { ...completion.choices[i]! };
      const problem = fill(choice, format.schema, ` (choice ${i})`);
      if (problem !== undefined) return badResponse(client, problem);
      choices.push(choice);
    }
    checked.choices = choices;
  }
  return checked;
}

/** Sets `choice.json`; what is wrong (naming `where`), or undefined. */
function fill(choice: CachedChoice, schema: object | undefined, where: string): string | undefined {
  // A choice that calls tools answers with calls, not with the JSON asked for.
  if (choice.toolCalls !== undefined && choice.text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(choice.text);
  } catch (e) {
    return `the answer${where} is not JSON (${(e as Error).message})`;
  }
  if (schema !== undefined) {
    const mismatch = schemaMismatch(schema, value);
    if (mismatch !== undefined) return `the answer${where} does not match the schema: ${mismatch}`;
  }
  choice.json = value;
  return undefined;
}
