/**
 * A client's tracing options. Spans are made only when an OpenTelemetry tracer provider is
 * registered; these options say what goes into them.
 */
import { z } from 'zod';

/** What a client's spans may record. */
export interface TraceConfig {
  /**
   * Records the messages sent and the answer received (`gen_ai.input.messages`,
   * `gen_ai.output.messages`). Default false: prompts and answers often hold personal data.
   */
  content?: boolean;
}

/** The schema of `trace`. */
export const traceSchema = z.strictObject({ content: z.boolean().optional() });
