/**
 * failoverbench's sixteen cells as testing-server setups: a third-party crash test of LLM
 * gateways that sends one streamed OpenAI chat request per fault (twenty for cell 15) through a
 * gateway over a faulty provider and a healthy fallback. Each cell says what both servers are
 * started with, what the caller sends and what passes; `scoreFailoverbench` scores what happened.
 */
import { startTestServer } from './server.js';
import type { TestChatRequest, TestFault, TestServer, TestServerOptions } from './types.js';

/** The durations of the cells that take time, ms; {@link FAILOVERBENCH_TIMING} has the real ones. */
export interface FailoverbenchTiming {
  /** Cell 7: silence between the headers and the first token. */
  firstTokenMs: number;
  /** Cell 9: how long the socket stays open and silent after 20 tokens. */
  stallMs: number;
  /** Cell 15: how long the provider answers 503. */
  outageMs: number;
  /** Cell 15: time between the starts of its requests. */
  spacingMs: number;
  /** Cell 15: how soon after the outage traffic must be back on the provider. */
  recoveryMs: number;
  /** Longest a call may take (cell 6 gets `hangBoundMs`). */
  boundMs: number;
  /** Cell 6: longest its call may take. */
  hangBoundMs: number;
}

/** The bench's own durations. */
export const FAILOVERBENCH_TIMING: Readonly<FailoverbenchTiming> = {
  firstTokenMs: 20_000,
  stallMs: 30_000,
  outageMs: 60_000,
  spacingMs: 4_000,
  recoveryMs: 30_000,
  boundMs: 45_000,
  hangBoundMs: 100_000,
};

/** A fault rule of a cell, as passed to `TestServer.inject`. */
export interface FailoverbenchRule {
  fault: TestFault;
  times?: number;
  forMs?: number;
}

/** How one of a cell's two servers is started. */
export interface FailoverbenchServer {
  options: TestServerOptions;
  rules: FailoverbenchRule[];
}

/** One cell of failoverbench. */
export interface FailoverbenchCell {
  /** 1 to 16. */
  n: number;
  /** The bench's description of the fault. */
  fault: string;
  /** The faulty provider. */
  primary: FailoverbenchServer;
  /** The healthy fallback (which refuses prefills in cell 14). */
  fallback: FailoverbenchServer;
  /** Streamed requests the caller sends (20 in cell 15, else 1), `spacingMs` apart. */
  requests: number;
  spacingMs: number;
  /**
   * `'answer'`: each call should get the whole {@link FAILOVERBENCH_ANSWER}; `'error'` (cell 13,
   * a content-policy refusal): a clean error after exactly one upstream request.
   */
  expect: 'answer' | 'error';
  /** Longest a call may take, ms. */
  boundMs: number;
  /** Cell 15: when the outage ends and how soon after traffic must be back on the primary, ms. */
  recovery?: { outageMs: number; withinMs: number };
  timing: FailoverbenchTiming;
}

/** The model names the two servers answer with, so the caller can tell who answered. */
export const FAILOVERBENCH_MODELS = {
  primary: 'primary-model',
  fallback: 'fallback-model',
} as const;

/** The answer every server gives: sixty words, each a token of the testing server. */
export const FAILOVERBENCH_ANSWER = Array.from(
  { length: 60 },
  (_, i) => `t${String(i + 1).padStart(2, '0')}`,
).join(' ');

/**
 * The reply of both servers: the whole answer, or — when the request ends with an assistant turn
 * that starts it (a prefill) — the rest of it, as a model continuing its own text would.
 */
export function failoverbenchReply(req: TestChatRequest): string {
  const last = req.messages.at(-1);
  if (last?.role === 'assistant' && FAILOVERBENCH_ANSWER.startsWith(last.content)) {
    return FAILOVERBENCH_ANSWER.slice(last.content.length);
  }
  return FAILOVERBENCH_ANSWER;
}

const openAiBody = (message: string, code: string, param: string | null): string =>
  JSON.stringify({ error: { message, type: 'invalid_request_error', param, code } });

const CONTEXT_EXCEEDED = openAiBody(
  "This model's maximum context length is 8192 tokens. However, your messages resulted in " +
    '9120 tokens. Please reduce the length of the messages.',
  'context_length_exceeded',
  'messages',
);
const POLICY_VIOLATION = openAiBody(
  'Your request was rejected as a result of our safety system.',
  'content_policy_violation',
  null,
);

/** Each cell's description and the primary's rules (the fallback is healthy but in cell 14). */
function cellRules(n: number, t: FailoverbenchTiming): [string, FailoverbenchRule[]] {
  const status = (code: number, extra: { retryAfter?: number; body?: string } = {}): TestFault => ({
    kind: 'status',
    status: code,
    ...extra,
  });
  const cut: TestFault = { kind: 'stream_cut', afterDeltas: 40 };
  switch (n) {
    case 1:
      return [
        '429 with Retry-After: 2 once, then healthy',
        [{ fault: status(429, { retryAfter: 2 }), times: 1 }],
      ];
    case 2:
      return ['429 without Retry-After on every attempt', [{ fault: status(429) }]];
    case 3:
      return ['500 once, then healthy', [{ fault: status(500), times: 1 }]];
    case 4:
      return ['503 on every attempt', [{ fault: status(503) }]];
    case 5:
      return [
        'TCP reset before any response byte once, then healthy',
        [{ fault: { kind: 'reset' }, times: 1 }],
      ];
    case 6:
      return ['the request is read and nothing is ever written', [{ fault: { kind: 'hang' } }]];
    case 7:
      return [
        'headers at once, the first token after 20 s, then normal',
        [{ fault: { kind: 'slow_first_token', ms: t.firstTokenMs } }],
      ];
    case 8:
      return [
        'the stream dies after 40 of 60 tokens (FIN, no finish, no terminator)',
        [{ fault: cut }],
      ];
    case 9:
      return [
        'after 20 tokens the socket stays open and silent for 30 s, then closes',
        [{ fault: { kind: 'stream_stall', afterDeltas: 20, ms: t.stallMs } }],
      ];
    case 10:
      return [
        'the tenth SSE event is invalid JSON, the rest complete',
        [{ fault: { kind: 'bad_event', index: 10 } }],
      ];
    case 11:
      return [
        'a complete stream with finish and usage but no data: [DONE]',
        [{ fault: { kind: 'no_done' } }],
      ];
    case 12:
      return [
        '400 context_length_exceeded on every attempt',
        [{ fault: status(400, { body: CONTEXT_EXCEEDED }) }],
      ];
    case 13:
      return [
        '400 content_policy_violation on every attempt (the right outcome is an error, with one attempt)',
        [{ fault: status(400, { body: POLICY_VIOLATION }) }],
      ];
    case 14:
      return [
        'as (8), and the fallback refuses an assistant prefill with 400 invalid_prefill',
        [{ fault: cut }],
      ];
    case 15:
      return [
        '503 for the first 60 s, then healthy; twenty requests 4 s apart',
        [{ fault: status(503), forMs: t.outageMs }],
      ];
    case 16:
      return [
        '503 on every attempt; the caller sees the fallback model name and usage',
        [{ fault: status(503) }],
      ];
    default:
      throw new RangeError(`failoverbench has cells 1 to 16, got ${n}`);
  }
}

/**
 * Cell `n` (1-16) of failoverbench, its timed faults taking `timing`'s durations (the bench's
 * own, {@link FAILOVERBENCH_TIMING}, by default). Throws `RangeError` for another `n`.
 *
 * @example
 * ```ts
 * import { failoverbench, startFailoverbenchServers } from 'llm-actors/testing';
 *
 * const cell = failoverbench(9, { stallMs: 300 });
 * const { primary, fallback, close } = await startFailoverbenchServers(cell);
 * // point a gateway's clients at primary.url and fallback.url, stream one request, then:
 * await close();
 * ```
 */
export function failoverbench(
  n: number,
  timing: Partial<FailoverbenchTiming> = {},
): FailoverbenchCell {
  const t = { ...FAILOVERBENCH_TIMING, ...timing };
  const [fault, rules] = cellRules(n, t);
  const options = (model: string): TestServerOptions => ({ model, reply: failoverbenchReply });
  const refusing: FailoverbenchRule[] = n === 14 ? [{ fault: { kind: 'refuse_prefill' } }] : [];
  return {
    n,
    fault,
    primary: { options: options(FAILOVERBENCH_MODELS.primary), rules },
    fallback: { options: options(FAILOVERBENCH_MODELS.fallback), rules: refusing },
    requests: n === 15 ? 20 : 1,
    spacingMs: n === 15 ? t.spacingMs : 0,
    expect: n === 13 ? 'error' : 'answer',
    boundMs: n === 6 ? t.hangBoundMs : t.boundMs,
    ...(n === 15 && { recovery: { outageMs: t.outageMs, withinMs: t.recoveryMs } }),
    timing: t,
  };
}

/** Starts one server of a cell with its rules injected. */
async function startOne(setup: FailoverbenchServer): Promise<TestServer> {
  const server = await startTestServer(setup.options);
  for (const { fault, ...when } of setup.rules) server.inject(fault, when);
  return server;
}

/**
 * Starts a cell's two servers with their faults injected (cell 15's outage starts now).
 * `close` closes both.
 */
export async function startFailoverbenchServers(cell: FailoverbenchCell): Promise<{
  primary: TestServer;
  fallback: TestServer;
  close(): Promise<void>;
}> {
  const primary = await startOne(cell.primary);
  const fallback = await startOne(cell.fallback).catch(async (err: unknown) => {
    await primary.close();
    throw err;
  });
  return {
    primary,
    fallback,
    close: async () => void (await Promise.all([primary.close(), fallback.close()])),
  };
}
