/**
 * The faults a failover crash test needs beyond the basic ones (see `TestFault`): a slow first
 * token, a stream that stalls then closes, an invalid event inside a good stream, a stream without
 * its terminator and a refused assistant prefill. Kept apart from `types.ts` so that it imports
 * nothing and each kind is documented where it is declared.
 */

/**
 * A fault added for failover tests (failoverbench). Every duration is a parameter, so tests can
 * use small values; the server waits on the real clock, like its other delays.
 */
export type FailoverFault =
  /**
   * Stream-only: the status line, headers and the stream's head events (OpenAI's role chunk,
   * Anthropic's `message_start` and `content_block_start`) at once, then `ms` of silence before
   * the first content delta, then the rest as normal. A gateway that starts its clock at the
   * first byte rather than at the first token does not notice anything is slow.
   */
  | { kind: 'slow_first_token'; ms: number }
  /**
   * Stream-only: after `afterDeltas` content deltas the socket stays open and silent for `ms`,
   * then closes (FIN) without a finish reason or terminator.
   */
  | { kind: 'stream_stall'; afterDeltas: number; ms: number }
  /**
   * Stream-only: an event whose JSON is cut short is sent as the `index`-th event (1-based) of an
   * otherwise complete stream; nothing of the answer is missing, so a reader that skips it gets
   * the whole answer. A stream with fewer events gets it just before its last event.
   */
  | { kind: 'bad_event'; index: number }
  /**
   * Stream-only: the whole answer with its finish reason (and usage, when asked for) but without
   * the terminator — OpenAI's `data: [DONE]`, Anthropic's `message_stop` — then a clean end of
   * the chunked body. Ollama has no terminator apart from its final `done` line, which carries
   * the finish reason and counts, so an Ollama stream is sent whole.
   */
  | { kind: 'no_done' }
  /**
   * Refuses a request whose last message is an assistant turn (a prefill, as a gateway sends to
   * resume a cut stream elsewhere) with `status` (default 400) and, on the OpenAI route, the error
   * `code` (default `'invalid_prefill'`). A request that does not end with an assistant turn
   * skips the rule (not counted, not used up) and later rules are checked.
   */
  | { kind: 'refuse_prefill'; status?: number; code?: string };
