/**
 * failoverbench's cell 12 (a context overflow) with a primary that is not OpenAI's: each
 * provider words the refusal its own way, and the group must know every one of them as an
 * overflow to send the request to its `onContextOverflow` client instead of returning a 400.
 */
import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../src/index.js';
import { groupsPerTest, hello, openaiClient } from './support/groups.js';

const groups = groupsPerTest();

/** A group whose primary speaks `provider` and refuses with `body`; `long` has the larger context. */
async function overflowing(provider: 'openai' | 'anthropic' | 'ollama', body: object) {
  const { runtime, servers } = await groups.start(
    ['primary', 'long'],
    { chat: { members: ['primary'], onContextOverflow: ['long'] } },
    {
      client: (name, server) =>
        name === 'primary' && provider !== 'openai'
          ? ({
              provider,
              baseUrl: server.origin,
              model: 'primary-model',
              apiKey: 'k',
            } as ClientConfig)
          : openaiClient(server, { model: `${name}-model` }),
    },
  );
  servers.primary!.inject({ kind: 'status', status: 400, body: JSON.stringify(body) });
  return { runtime, servers };
}

describe('failoverbench cell 12 variants: a context overflow in each provider words', () => {
  it("sends Ollama's 'the input length exceeds the context length' to the onContextOverflow client", async () => {
    const { runtime, servers } = await overflowing('ollama', {
      error: 'the input length exceeds the context length',
    });
    const answer = await runtime.request('chat', hello);
    expect(answer.client).toBe('long');
    expect(answer.route!.attempts.map((a) => [a.client, a.code])).toEqual([
      ['primary', 'PROVIDER_ERROR'],
      ['long', undefined],
    ]);
    expect(servers.primary!.requests).toBe(1);
  });

  it("sends Anthropic's 'input length and max_tokens exceed context limit' to the onContextOverflow client", async () => {
    const { runtime } = await overflowing('anthropic', {
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message:
          'input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, ' +
          'decrease input length or `max_tokens` and try again',
      },
    });
    expect((await runtime.request('chat', hello)).client).toBe('long');
  });

  it("sends llama.cpp's 'exceeds the available context size' to the onContextOverflow client", async () => {
    const { runtime } = await overflowing('openai', {
      error: {
        code: 400,
        message: 'request (4476 tokens) exceeds the available context size (4096 tokens)',
        type: 'exceed_context_size_error',
      },
    });
    expect((await runtime.request('chat', hello)).client).toBe('long');
  });

  it('still returns any other 400 of an Ollama member without asking another client', async () => {
    const { runtime, servers } = await overflowing('ollama', { error: 'invalid model name' });
    await expect(runtime.request('chat', hello)).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      status: 400,
    });
    expect(servers.long!.requests).toBe(0);
  });
});
