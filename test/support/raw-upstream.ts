/**
 * A local upstream whose every answer the test writes by hand (exact bytes, pauses, cuts),
 * closed after each test together with its connections.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Writes the answer to call `n` (1-based) with the parsed request body. */
export type Answer = (
  res: ServerResponse,
  body: Record<string, unknown>,
  n: number,
  req: IncomingMessage,
) => void;

/** A running raw upstream. */
export interface RawUpstream {
  readonly url: string;
  /** Requests received so far. */
  readonly calls: number;
  close(): Promise<void>;
}

/** Starts a raw upstream on a free loopback port. */
export async function rawUpstream(answer: Answer): Promise<RawUpstream> {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => answer(res, JSON.parse(data || '{}'), ++calls, req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get calls() {
      return calls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One OpenAI chat.completion.chunk event. */
export const openaiChunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
  `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'gpt', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** OpenAI's usage event (`stream_options.include_usage`). */
export const openaiUsage = (prompt: number, completion: number): string =>
  `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } })}\n\n`;

/** A whole OpenAI chat completion, not streamed. */
export const openaiAnswer = (text: string): string =>
  JSON.stringify({
    id: 'x',
    object: 'chat.completion',
    model: 'gpt',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  });
