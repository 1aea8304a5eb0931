import type { FailoverFault } from './fault-types.js';
import type { ScriptedAnswer, TestTool, TestToolCall } from './scripted-types.js';

/** The wire format of a chat route: OpenAI chat completions, Anthropic Messages or Ollama chat. */
export type TestChatFormat = 'openai' | 'anthropic' | 'ollama';

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  /** Interface to bind; default `'127.0.0.1'`. */
  host?: string;
  /** Port to bind; default `0` (any free port). */
  port?: number;
  /** Model name echoed in answers (every format) and listed by `GET /v1/models`; default `'test-model'`. */
  model?: string;
  /** Produces the assistant content; default `echo: <content of the last user message>`. */
  reply?: (req: TestChatRequest) => string | Promise<string>;
  /**
   * When set, requests must carry it: `authorization: Bearer <apiKey>` on the OpenAI and Ollama
   * routes (and on `GET /v1/models` and unknown routes), `x-api-key: <apiKey>` (or `Authorization: Bearer <apiKey>`) on the Anthropic
   * route. Otherwise they get a 401 in the route's error shape.
   */
  apiKey?: string;
  /** Words per streamed content delta; default 1 (one delta per word with its trailing space). */
  chunkWords?: number;
  /**
   * When set, every streamed event is written in pieces of this many bytes, which splits
   * multi-byte UTF-8 characters across HTTP chunks, to test client stream parsers.
   */
  splitBytes?: number;
  /**
   * Scripted answers (tool calls, reasoning, JSON, usage extras) instead of the `reply` text;
   * see {@link ScriptedAnswer}. Answers queued with {@link TestServer.enqueue} come first.
   */
  script?: TestScript;
  /** The clock of time-bound fault rules (`forMs`), epoch ms; default the real `Date.now`. */
  now?: () => number;
}

/**
 * Picks the scripted answer to a request; `undefined` falls back to the `reply` text. Answers
 * queued with {@link TestServer.enqueue} come first.
 */
export type TestScript = (
  req: TestChatRequest,
) => ScriptedAnswer | undefined | Promise<ScriptedAnswer | undefined>;

/** One message of a {@link TestChatRequest}, normalized across formats. */
export interface TestChatMessage {
  role: string;
  /** The text; array-of-parts contents flattened to their joined text parts. */
  content: string;
  /** An assistant turn's tool calls (OpenAI `tool_calls`, Anthropic `tool_use`, Ollama `tool_calls`). */
  toolCalls?: TestToolCall[];
  /** A role-`'tool'` message's call id (OpenAI `tool_call_id`, Anthropic `tool_use_id`). */
  toolCallId?: string;
  /** The message's `name` (Ollama: a tool result's `tool_name`). */
  name?: string;
}

/** A parsed chat request of any format, as seen by `reply` and {@link TestServer.lastRequest}. */
export interface TestChatRequest {
  /** The route's wire format. */
  format: TestChatFormat;
  /** The requested model, or the server's model when the request names none. */
  model: string;
  /**
   * The messages as `{ role, content }`, array-of-parts contents flattened to their joined text
   * parts. An Anthropic `system` prompt comes first as role `'system'` (one message per text
   * block), and each Anthropic `tool_result` block becomes a role-`'tool'` message, so `reply`
   * and `script` can treat every format alike.
   */
  messages: TestChatMessage[];
  /** The tools offered (OpenAI and Ollama `tools[].function`, Anthropic `tools`), if any. */
  tools?: TestTool[];
  /** The raw `tool_choice` (OpenAI, Anthropic), if sent. */
  toolChoice?: unknown;
  /** The raw OpenAI `response_format`, Ollama `format` or Anthropic `output_format`, if sent. */
  responseFormat?: unknown;
  temperature?: number;
  /**
   * The reply's word limit: OpenAI `max_tokens` (or `max_completion_tokens` when only that is
   * sent), Anthropic `max_tokens`, Ollama `options.num_predict` (absent when negative: no limit).
   */
  max_tokens?: number;
  /** OpenAI `n`: the number of choices. */
  n?: number;
  /** Whether the answer is streamed; Ollama streams unless the body says `stream: false`. */
  stream: boolean;
  /** The raw request headers. */
  headers: Record<string, string | string[] | undefined>;
  /** The raw parsed JSON body. */
  body: Record<string, unknown>;
}

/** A fault the server can inject instead of (or into) a normal answer, on every chat route. */
export type TestFault =
  /**
   * Answer with this status, before any stream starts. `body` defaults to a JSON error in the
   * route's shape (OpenAI `{error:{message,type,code}}`, Anthropic `{type:'error',error:{type,
   * message}}`, Ollama `{error}`); `retryAfter` sets the `retry-after` header, `retryAfterMs` the
   * `retry-after-ms` header.
   */
  | {
      kind: 'status';
      status: number;
      body?: string;
      retryAfter?: number | string;
      retryAfterMs?: number;
    }
  /** Reset the connection (TCP RST) without any response. */
  | { kind: 'reset' }
  /** Never answer (not even headers), until the client aborts or the server closes. */
  | { kind: 'hang' }
  /**
   * 200 with a body that is not valid JSON: `application/json` when not streaming; on a stream,
   * the format's stream content type and one event whose JSON is cut short, then the end.
   */
  | { kind: 'malformed' }
  /**
   * 200 whose `content-length` promises more than is sent; the socket is destroyed mid-body. On a
   * stream it acts as `stream_cut` after half the content deltas.
   */
  | { kind: 'truncated' }
  /** Answer normally after `ms` milliseconds (delays the first byte, stream or not). */
  | { kind: 'latency'; ms: number }
  /**
   * Answer normally, writing the body `chunkBytes` (default 16) at a time, `chunkDelayMs` apart.
   * On a stream, each event is written whole (or in `splitBytes` pieces), `chunkDelayMs` apart.
   */
  | { kind: 'trickle'; chunkDelayMs: number; chunkBytes?: number }
  /**
   * Stream-only: after `afterDeltas` content deltas, send the format's in-stream error (OpenAI
   * `data: {"error":{...}}`, Anthropic `event: error` with an `overloaded_error`, Ollama an
   * `{"error":...}` line) and end the stream without its normal terminator.
   */
  | { kind: 'stream_error'; afterDeltas: number }
  /** Stream-only: after `afterDeltas` content deltas, destroy the socket mid-stream. */
  | { kind: 'stream_cut'; afterDeltas: number }
  | FailoverFault;

/**
 * An injected fault and when it applies. `times`: the next N requests it applies to, then it is
 * removed. `probability`: each request is hit with that chance, drawn from the server's seeded RNG.
 * Neither: every request until {@link TestServer.clearFaults}. `forMs`: the rule is removed that
 * many milliseconds after it is added (an outage that ends), combined with the others. A
 * stream-only fault does not apply
 * to a request that does not stream: it is skipped (not drawn, counted or used up) and later
 * rules are checked.
 */
export interface FaultRule {
  fault: TestFault;
  times?: number;
  probability?: number;
  forMs?: number;
}

/** A running test server; see {@link startTestServer}. */
export interface TestServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  /** Scheme, host and port, e.g. `http://127.0.0.1:PORT`; the Ollama client base URL. */
  readonly origin: string;
  readonly port: number;
  /** Valid chat requests received so far on every route, faulted ones included. */
  readonly requests: number;
  /** Valid chat requests received so far that asked for a streamed answer, faulted ones included. */
  readonly streams: number;
  /** TCP connections accepted so far; shows whether clients pool and reuse connections. */
  readonly connections: number;
  /**
   * A snapshot of the counters. `ok` counts answers fully sent, streams included (latency and
   * trickle hits included); `faults` counts rule hits per fault kind.
   */
  readonly stats: { requests: number; ok: number; faults: Record<TestFault['kind'], number> };
  /** Adds a fault rule. Rules are checked in the order added; the first that applies wins. */
  inject(
    fault: TestFault,
    options?: { times?: number; probability?: number; forMs?: number },
  ): void;
  /** Removes every fault rule. */
  clearFaults(): void;
  /** Replaces the reply function; `undefined` restores the echo default. */
  setReply(reply: TestServerOptions['reply']): void;
  /**
   * Queues scripted answers, used one per request in order before `script`. An answer is used
   * up when the server starts answering: a request that a `status`, `reset`, `hang`,
   * `malformed` or `refuse_prefill` fault answers leaves it for the next (a retry); a stream cut
   * does not.
   */
  enqueue(...answers: ScriptedAnswer[]): void;
  /** Replaces the script function; `undefined` removes it. */
  setScript(script: TestScript | undefined): void;
  /** Reseeds the RNG used by probability rules (mulberry32, default seed 1). */
  seed(n: number): void;
  /** Resolves once `requests >= n`; rejects if the server closes first. */
  waitForRequests(n: number): Promise<void>;
  /** The last valid chat request of any format, if any. */
  lastRequest(): TestChatRequest | undefined;
  /** Closes the server, destroying every open socket and clearing every timer. Idempotent. */
  close(): Promise<void>;
}
