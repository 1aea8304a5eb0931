/** The adapters address a group like a client: they go through runtime.request and stream. */
import type { AxChatResponse } from '@ax-llm/ax';
import { generateText, streamText } from 'ai';
import { describe, expect, it } from 'vitest';
import { createLanguageModel } from '../src/adapters/ai-sdk/index.js';
import { createAxService } from '../src/adapters/ax/index.js';
import { groupsPerTest } from './support/groups.js';

const groups = groupsPerTest();

async function failingPrimary() {
  const started = await groups.start(['primary', 'backup'], {
    chat: { members: ['primary', 'backup'] },
  });
  started.servers.primary!.inject({ kind: 'status', status: 503 });
  started.servers.backup!.setReply(() => 'from the backup');
  return started;
}

describe('a group through the adapters', () => {
  it('answers generateText and streamText of the AI SDK from the member that answered', async () => {
    const { runtime } = await failingPrimary();
    const model = createLanguageModel(runtime, 'chat');
    const plain = await generateText({ model, prompt: 'hello' });
    expect(plain.text).toBe('from the backup');
    expect(plain.response.modelId).toBe('backup-model');
    const streamed = streamText({ model, prompt: 'hello again' });
    expect(await streamed.text).toBe('from the backup');
  });

  it('answers an Ax chat from the member that answered', async () => {
    const { runtime } = await failingPrimary();
    const llm = createAxService(runtime, 'chat');
    const res = (await llm.chat({
      chatPrompt: [{ role: 'user', content: 'hello' }],
    })) as AxChatResponse;
    expect(res.results[0]!.content).toBe('from the backup');
  });

  it('offers the AI SDK https images for a group in its first member’s format, and none when it is Ollama', async () => {
    const { runtime } = await groups.start(
      ['primary', 'local'],
      {
        chat: { members: ['primary', 'local'] },
        offline: { members: ['local', 'primary'] },
      },
      {
        client: (name, server) =>
          name === 'local'
            ? { provider: 'ollama', baseUrl: server.origin, model: 'llama' }
            : { provider: 'openai', baseUrl: server.url, model: 'gpt' },
      },
    );
    expect(createLanguageModel(runtime, 'chat').supportedUrls).toHaveProperty('image/*');
    expect(createLanguageModel(runtime, 'offline').supportedUrls).toEqual({});
  });
});
