/**
 * Client libraries through the gateway against a group whose primary fails: the AI SDK
 * (`createOpenAI`'s chat and Responses models) and LangChain's `ChatOpenAI` (both APIs), each
 * plain and streamed, with their default retries — the backup's answer, one request each, and
 * a failure after the first delta surfaced as an error, never as a complete answer.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, streamText, type LanguageModel } from 'ai';
import { describe, expect, it } from 'vitest';
import { asked, servedGroupPerTest, type ServedGroup } from './support/outside-groups.js';

const served = servedGroupPerTest();

const API = [
  { api: 'chat completions', responses: false },
  { api: 'the Responses API', responses: true },
];

const aiSdk = (group: ServedGroup, responses: boolean): LanguageModel => {
  const provider = createOpenAI({ baseURL: `${group.gateway.url}/v1`, apiKey: 'unused' });
  return responses ? provider('chat') : provider.chat('chat');
};

const langchain = (group: ServedGroup, responses: boolean) =>
  new ChatOpenAI({
    model: 'chat',
    apiKey: 'unused',
    configuration: { baseURL: `${group.gateway.url}/v1` },
    useResponsesApi: responses,
  });

/** A group whose primary answers 503 to everything, and the backup "all is well". */
async function failingPrimary(): Promise<ServedGroup> {
  const group = await served.serve();
  group.servers.primary!.inject({ kind: 'status', status: 503 });
  group.servers.backup!.setReply(() => 'all is well');
  return group;
}

/** An AI SDK `streamText` read to its end: the text, the finish reason, the errors it told. */
async function streamed(
  model: LanguageModel,
): Promise<{ text: string; finishReason: string; errors: number }> {
  let errors = 0;
  const result = streamText({ model, prompt: 'hello', onError: () => void errors++ });
  let text = '';
  for await (const delta of result.textStream) text += delta;
  return { text, finishReason: await result.finishReason, errors };
}

describe.each(API)('a group with a failing primary over $api', ({ responses }) => {
  it("gives the AI SDK's generateText the backup's answer and model", async () => {
    const group = await failingPrimary();
    const result = await generateText({ model: aiSdk(group, responses), prompt: 'hello' });
    expect(result.text).toBe('all is well');
    expect(result.response.modelId).toBe('backup-model');
    expect(result.finishReason).toBe('stop');
    expect(asked(group)).toEqual([1, 1]);
  });

  it("streams the backup's answer to the AI SDK's streamText", async () => {
    const group = await failingPrimary();
    expect(await streamed(aiSdk(group, responses))).toEqual({
      text: 'all is well',
      finishReason: 'stop',
      errors: 0,
    });
    expect(asked(group)).toEqual([1, 1]);
  });

  it("gives LangChain's ChatOpenAI the backup's answer, invoked and streamed", async () => {
    const group = await failingPrimary();
    const answer = await langchain(group, responses).invoke('hello');
    expect(answer.text).toBe('all is well');
    expect(answer.response_metadata.model_name ?? answer.response_metadata.model).toBe(
      'backup-model',
    );
    let streamed = '';
    for await (const chunk of await langchain(group, responses).stream('hello')) {
      streamed += chunk.text;
    }
    expect(streamed).toBe('all is well');
    expect(asked(group)).toEqual([2, 2]);
  });

  it('ends an AI SDK stream cut after its first delta (no resumeStreams) with an error, not a complete answer', async () => {
    const group = await served.serve();
    group.servers.primary!.setReply(() => 'one two three four five six');
    group.servers.primary!.inject({ kind: 'stream_cut', afterDeltas: 2 });
    expect(await streamed(aiSdk(group, responses))).toEqual({
      text: 'one two ',
      finishReason: 'error',
      errors: 1,
    });
    expect(asked(group)).toEqual([1, 0]);
  });

  it('makes a LangChain stream cut after its first delta throw, not end as if complete', async () => {
    const group = await served.serve();
    group.servers.primary!.setReply(() => 'one two three four five six');
    group.servers.primary!.inject({ kind: 'stream_cut', afterDeltas: 2 });
    const model = new ChatOpenAI({
      model: 'chat',
      apiKey: 'unused',
      configuration: { baseURL: `${group.gateway.url}/v1` },
      useResponsesApi: responses,
      maxRetries: 0,
    });
    let text = '';
    const read = async () => {
      for await (const chunk of await model.stream('hello')) text += chunk.text;
    };
    await expect(read()).rejects.toThrow(/NETWORK_ERROR|other side closed|socket/i);
    expect(text).toBe('one two ');
  });
});
