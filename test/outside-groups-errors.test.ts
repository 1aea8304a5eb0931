/**
 * A group's failures behind the gateway as the official `openai` client sees them with its
 * default retries (2): what it must not retry comes back after one gateway request and at once,
 * and a provider's meaning survives the gateway, whichever provider said it.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicOverflow, manualClock } from './support/groups.js';
import {
  asked,
  HELLO,
  sdkError,
  servedGroupPerTest,
  type ServedGroup,
} from './support/outside-groups.js';

const served = servedGroupPerTest();

/** An `openai` client of the gateway with the SDK's default retries, counting its requests. */
function countingSdk(group: ServedGroup): { sdk: OpenAI; requests: () => number } {
  let requests = 0;
  const sdk = new OpenAI({
    baseURL: `${group.gateway.url}/v1`,
    apiKey: 'unused',
    fetch: (input, init) => {
      requests++;
      return fetch(input, init);
    },
  });
  return { sdk, requests: () => requests };
}

/** The three ways a caller asks: chat plain, chat streamed (read to the end), responses. */
const CALLS: Array<[string, (sdk: OpenAI) => Promise<unknown>]> = [
  [
    'chat.completions.create',
    (sdk) => sdk.chat.completions.create({ model: 'chat', messages: HELLO }),
  ],
  [
    'chat.completions.create with stream: true',
    async (sdk) => {
      const stream = await sdk.chat.completions.create({
        model: 'chat',
        messages: HELLO,
        stream: true,
      });
      for await (const chunk of stream) void chunk;
    },
  ],
  ['responses.create', (sdk) => sdk.responses.create({ model: 'chat', input: 'hello' })],
];

describe('a group behind the gateway, failing, as the openai client sees it', () => {
  it.each(CALLS)(
    'answers %s with one 503 FUSE_OPEN at once when every member is melted: the SDK does not retry',
    async (_, call) => {
      const group = await served.serve({ client: { fuse: { maxFailures: 1, resetMs: 10_000 } } });
      group.servers.primary!.inject({ kind: 'status', status: 503 }, { times: 1 });
      group.servers.backup!.inject({ kind: 'status', status: 503 }, { times: 1 });
      await sdkError(group.once.chat.completions.create({ model: 'chat', messages: HELLO }));
      const { sdk, requests } = countingSdk(group);
      const started = performance.now();
      const error = await sdkError(call(sdk));
      // A retry would wait out the Retry-After (10 s) first.
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(requests()).toBe(1);
      expect(error).toMatchObject({
        status: 503,
        code: 'FUSE_OPEN',
        shouldRetry: 'false',
        retryAfter: '10',
      });
      expect(error.message).toContain('tried primary (FUSE_OPEN), backup (FUSE_OPEN)');
      expect(asked(group)).toEqual([1, 1]);
    },
  );

  it.each(CALLS)(
    'answers %s refused for content policy with that 400 after one upstream request',
    async (_, call) => {
      const group = await served.serve();
      group.servers.primary!.inject({
        kind: 'status',
        status: 400,
        body: JSON.stringify({
          error: {
            message: 'refused by the content policy',
            type: 'invalid_request_error',
            param: 'messages',
            code: 'content_policy_violation',
          },
        }),
      });
      const { sdk, requests } = countingSdk(group);
      const error = await sdkError(call(sdk));
      expect(error).toMatchObject({
        name: 'BadRequestError',
        status: 400,
        code: 'content_policy_violation',
        type: 'invalid_request_error',
        param: 'messages',
        shouldRetry: 'false',
      });
      expect(error.message).toContain('refused by the content policy');
      expect(requests()).toBe(1);
      expect(asked(group)).toEqual([1, 0]);
    },
  );

  it("names an Anthropic member's context overflow context_length_exceeded, so OpenAI clients know it", async () => {
    // The primary speaks Anthropic: its overflow is a 400 "prompt is too long", with no code.
    const group = await served.serve({
      client: (name, server) =>
        name === 'primary'
          ? { provider: 'anthropic', baseUrl: server.origin, apiKey: 'anthropic-key' }
          : {},
    });
    group.servers.primary!.inject(anthropicOverflow);
    const error = await sdkError(
      group.sdk.chat.completions.create({ model: 'chat', messages: HELLO }),
    );
    expect(error).toMatchObject({
      status: 400,
      code: 'context_length_exceeded',
      type: 'invalid_request_error',
      shouldRetry: 'false',
    });
    expect(error.message).toContain('prompt is too long');
    // No onContextOverflow: the backup has the same context, so it was never asked.
    expect(asked(group)).toEqual([1, 0]);
  });
});

describe('a group that no member can answer now, behind the gateway', () => {
  it('answers with the member that can answer soonest: a backup parked for 2 s beside a melted primary is a 429 to retry in 2 s', async () => {
    const clock = manualClock();
    const group = await served.serve({
      client: { fuse: { maxFailures: 1, resetMs: 10_000 } },
      runtime: { clock },
    });
    const { primary, backup } = group.servers;
    primary!.inject({ kind: 'status', status: 503 }, { times: 1 });
    backup!.inject({ kind: 'status', status: 429, retryAfter: 2 }, { times: 1 });
    const ask = () => group.once.chat.completions.create({ model: 'chat', messages: HELLO });
    // The primary melts (open for 10 s), the backup is parked for 2 s.
    expect(await sdkError(ask())).toMatchObject({ status: 429, code: 'PROVIDER_ERROR' });
    const error = await sdkError(ask());
    expect(error).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      shouldRetry: 'true',
      retryAfter: '2',
    });
    expect(error.message).toContain('tried primary (FUSE_OPEN), backup (RATE_LIMITED)');
    clock.advance(2_000);
    expect((await ask()).model).toBe('backup-model');
    expect(asked(group)).toEqual([1, 2]);
  });
});

describe('a group stream cut after its first delta (no resumeStreams), read with the openai client', () => {
  /** A group whose primary streams two words of six, then drops the connection. */
  async function cutPrimary(): Promise<ServedGroup> {
    const group = await served.serve();
    group.servers.primary!.setReply(() => 'one two three four five six');
    group.servers.primary!.inject({ kind: 'stream_cut', afterDeltas: 2 });
    return group;
  }

  it('throws from the chat completions iterator after the text so far', async () => {
    const group = await cutPrimary();
    let text = '';
    const read = async () => {
      const stream = await group.sdk.chat.completions.create({
        model: 'chat',
        messages: HELLO,
        stream: true,
      });
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    };
    expect(await sdkError(read())).toMatchObject({ name: 'APIError', code: 'NETWORK_ERROR' });
    expect(text).toBe('one two ');
  });

  it('throws from the Responses iterator and rejects responses.stream().finalResponse()', async () => {
    const group = await cutPrimary();
    let text = '';
    const read = async () => {
      const stream = await group.sdk.responses.create({
        model: 'chat',
        input: 'hello',
        stream: true,
      });
      for await (const event of stream) {
        if (event.type === 'response.output_text.delta') text += event.delta;
      }
    };
    expect(await sdkError(read())).toMatchObject({ name: 'APIError', code: 'NETWORK_ERROR' });
    expect(text).toBe('one two ');
    group.servers.primary!.inject({ kind: 'stream_cut', afterDeltas: 2 });
    const helper = group.sdk.responses.stream({ model: 'chat', input: 'hello' });
    expect(await sdkError(helper.finalResponse())).toMatchObject({
      name: 'APIError',
      code: 'NETWORK_ERROR',
    });
  });
});
