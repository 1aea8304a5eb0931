import { describe, expect, it } from 'vitest';
import { isLlmActorsError, type CompletionStream, type GroupHealth } from '../src/index.js';
import type { TestChatRequest } from '../src/testing/index.js';
import { groupsPerTest, hello, hedgedPair } from './support/groups.js';

const groups = groupsPerTest();
const ANSWER = 'one two three four five six';

/** Reads a stream to its end: the chunks' texts, and the completion or the error. */
async function drain(s: CompletionStream) {
  const chunks: string[] = [];
  let error: unknown;
  try {
    for await (const chunk of s) chunks.push(chunk.text);
  } catch (e) {
    error = e;
  }
  const completion = await s.completion.catch(() => undefined);
  return { chunks, text: chunks.join(''), completion, error };
}

/** The last message of a request, when it is an assistant's (a prefill). */
const prefillOf = (req: TestChatRequest) => {
  const last = req.messages.at(-1);
  return last?.role === 'assistant' ? last.content : undefined;
};

/** Answers ANSWER, or the rest of it after a prefill. */
const continuing = (req: TestChatRequest) => {
  const prefill = prefillOf(req);
  return prefill === undefined ? ANSWER : ANSWER.slice(prefill.length);
};

async function cutPair(resumeStreams: boolean) {
  const started = await groups.start(['primary', 'backup'], {
    chat: { members: ['primary', 'backup'], resumeStreams },
  });
  started.servers.primary!.setReply(() => ANSWER);
  started.servers.primary!.inject({ kind: 'stream_cut', afterDeltas: 3 });
  return started;
}

describe('a group stream', () => {
  it('fails over before its first delta, and the caller sees one answer', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], {
      chat: { members: ['primary', 'backup'] },
    });
    servers.primary!.inject({ kind: 'status', status: 503 });
    servers.backup!.setReply(() => ANSWER);
    const { text, completion } = await drain(runtime.stream('chat', hello));
    expect(text).toBe(ANSWER);
    expect(completion!.text).toBe(ANSWER);
    expect(completion!.client).toBe('backup');
    expect(completion!.route!.attempts.map((a) => [a.client, a.code])).toEqual([
      ['primary', 'PROVIDER_ERROR'],
      ['backup', undefined],
    ]);
  });

  it('cut after its first delta fails with its error when resumeStreams is off', async () => {
    const { runtime, servers } = await cutPair(false);
    const { text, completion, error } = await drain(runtime.stream('chat', hello));
    expect(text).toBe('one two three ');
    expect(completion).toBeUndefined();
    expect(isLlmActorsError(error)).toBe(true);
    expect((error as { route?: unknown }).route).toMatchObject({
      attempts: [{ client: 'primary' }],
    });
    expect(servers.backup!.requests).toBe(0);
  });

  it('resumed, continues on the next member from the delivered text (an assistant prefill)', async () => {
    const { runtime, servers } = await cutPair(true);
    servers.backup!.setReply(continuing);
    const { chunks, text, completion, error } = await drain(runtime.stream('chat', hello));
    expect(error).toBeUndefined();
    expect(text).toBe(ANSWER);
    expect(chunks.slice(0, 3)).toEqual(['one ', 'two ', 'three ']);
    expect(prefillOf(servers.backup!.lastRequest()!)).toBe('one two three');
    expect(completion!.text).toBe(ANSWER);
    expect(completion!.message.content).toBe(ANSWER);
    expect(completion!.client).toBe('backup');
    expect(completion!.route!.attempts.map((a) => a.client)).toEqual(['primary', 'backup']);
    expect(runtime.health<GroupHealth>('chat').resumedStreams).toBe(1);
  });

  it('leaves out the delivered text when the next member ignores the prefill and starts over', async () => {
    const { runtime, servers } = await cutPair(true);
    servers.backup!.setReply(() => ANSWER);
    const { chunks, text, completion, error } = await drain(runtime.stream('chat', hello));
    expect(error).toBeUndefined();
    expect(text).toBe(ANSWER);
    expect(chunks.slice(0, 3)).toEqual(['one ', 'two ', 'three ']);
    expect(prefillOf(servers.backup!.lastRequest()!)).toBe('one two three');
    expect(completion!.text).toBe(ANSWER);
    expect(servers.backup!.requests).toBe(1);
  });

  it('passes on a continuation that starts like the delivered text but goes elsewhere', async () => {
    const { runtime, servers } = await cutPair(true);
    servers.backup!.setReply(() => 'one two! and that is all');
    const { text, completion } = await drain(runtime.stream('chat', hello));
    expect(text).toBe('one two three one two! and that is all');
    expect(completion!.text).toBe(text);
  });

  it('restarts a member that refuses the prefill and passes on only what extends the delivered text', async () => {
    const { runtime, servers } = await cutPair(true);
    servers.backup!.inject(
      {
        kind: 'status',
        status: 400,
        body: JSON.stringify({
          error: {
            message: 'prefill is not supported',
            type: 'invalid_request_error',
            code: 'invalid_prefill',
          },
        }),
      },
      { times: 1 },
    );
    servers.backup!.setReply(() => ANSWER);
    const { chunks, completion, error } = await drain(runtime.stream('chat', hello));
    expect(error).toBeUndefined();
    // Nothing duplicated: the restarted answer's first three words were held back.
    expect(chunks).toEqual(['one ', 'two ', 'three ', 'four ', 'five ', 'six']);
    expect(completion!.text).toBe(ANSWER);
    expect(servers.backup!.requests).toBe(2);
    expect(prefillOf(servers.backup!.lastRequest()!)).toBeUndefined();
    expect(completion!.route!.attempts.map((a) => [a.client, a.code])).toEqual([
      ['primary', 'NETWORK_ERROR'],
      ['backup', 'PROVIDER_ERROR'],
      ['backup', undefined],
    ]);
  });

  it('returns the original error when the restarted answer does not start with the delivered text', async () => {
    const { runtime, servers } = await cutPair(true);
    servers.backup!.inject({ kind: 'status', status: 400 }, { times: 1 });
    servers.backup!.setReply(() => 'a different answer altogether');
    const { text, completion, error } = await drain(runtime.stream('chat', hello));
    expect(text).toBe('one two three ');
    expect(completion).toBeUndefined();
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', client: 'primary' });
  });

  it('hedges on the first token: the member that streams first wins, the other is cancelled', async () => {
    const { runtime, servers, clock } = await hedgedPair(groups, 500);
    servers.backup!.setReply(() => ANSWER);
    const s = runtime.stream('chat', hello);
    await servers.primary!.waitForRequests(1);
    clock.advance(500);
    const { text, completion } = await drain(s);
    expect(text).toBe(ANSWER);
    expect(completion!.client).toBe('backup');
    expect(s.client).toBe('backup');
    expect(completion!.route!.attempts).toEqual([
      { client: 'primary', code: 'ABORTED', ms: 500 },
      { client: 'backup', ms: 0 },
    ]);
    expect(runtime.health('primary').fuse.failures).toBe(0);
  });

  it('cancelled by its caller, cancels the member, neutral for its fuse', async () => {
    const { runtime, servers } = await groups.start(['primary', 'backup'], {
      chat: { members: ['primary', 'backup'] },
    });
    servers.primary!.inject({ kind: 'hang' });
    const s = runtime.stream('chat', hello);
    await servers.primary!.waitForRequests(1);
    s.cancel();
    const error = await s.completion.catch((e: unknown) => e);
    expect(isLlmActorsError(error, 'ABORTED')).toBe(true);
    expect(servers.backup!.requests).toBe(0);
    expect(runtime.health('primary').fuse.failures).toBe(0);
  });
});
