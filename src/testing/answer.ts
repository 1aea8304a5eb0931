/**
 * The answer to a valid chat request: what it says, and how it is sent (whole, streamed, or
 * slowly under a `truncated` or `trickle` fault).
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { firstDeltaDelayMs, reshapeStream } from './fault-kinds.js';
import { streamBreak } from './faults.js';
import { buildChoices, countWords, type Completion, type WireFormat } from './formats/index.js';
import { send, sendSlowly } from './http.js';
import { writeStream } from './stream.js';
import type { TestChatRequest, TestFault } from './types.js';

/** What one answer is made of, besides the text of `reply`. */
export interface AnswerFacts {
  /** The request's 1-based number. */
  num: number;
  model: string;
  /** When the request arrived, epoch ms (on the real clock). */
  startedMs: number;
  /** Now, epoch ms (on the real clock). */
  nowMs: number;
  chunkWords: number;
}

/** The completion of `chat` whose reply is `text`, words counted as tokens. */
export function completionOf(text: string, chat: TestChatRequest, facts: AnswerFacts): Completion {
  const choices = buildChoices(text, chat, facts.chunkWords);
  return {
    num: facts.num,
    model: facts.model,
    createdMs: facts.nowMs,
    elapsedMs: facts.nowMs - facts.startedMs,
    choices,
    promptTokens: chat.messages.reduce((sum, m) => sum + countWords(m.content), 0),
    completionTokens: choices.reduce((sum, c) => sum + countWords(c.content), 0),
    chat,
  };
}

/** How {@link sendAnswer} sends one answer. */
export interface Delivery {
  format: WireFormat;
  /** The fault picked for this request, if any: only the ones that shape the answer act here. */
  fault: TestFault | undefined;
  /** See `TestServerOptions.splitBytes`. */
  splitBytes: number | undefined;
  /** Must resolve false once the response or the server closes. */
  sleep: (ms: number) => Promise<boolean>;
}

/** Sends `completion` in its format; resolves true when it was sent whole and well-formed. */
export function sendAnswer(
  res: ServerResponse,
  socket: Socket,
  completion: Completion,
  { format, fault, splitBytes, sleep }: Delivery,
): Promise<boolean> {
  if (completion.chat.stream) {
    const events = reshapeStream(format.stream(completion), fault, format);
    const plan = {
      contentType: format.streamType,
      events,
      splitBytes,
      delayMs: fault?.kind === 'trickle' ? fault.chunkDelayMs : 0,
      firstDeltaDelayMs: firstDeltaDelayMs(fault),
      break: streamBreak(fault, format, events.filter((e) => e.phase === 'delta').length),
    };
    return writeStream(res, socket, plan, sleep);
  }
  const payload = Buffer.from(JSON.stringify(format.answer(completion)));
  if (fault?.kind === 'truncated' || fault?.kind === 'trickle') {
    return sendSlowly(res, socket, payload, fault, sleep);
  }
  send(res, 200, payload);
  return Promise.resolve(true);
}
