/**
 * The Vercel AI SDK on a named llm-actors client: `generateText` and `streamText` through the
 * client's cache, fuse and pool. The upstream is the bundled testing server, so this runs
 * offline; point `baseUrl` at a real provider (with `apiKey`) to use one.
 *
 *   npx tsx examples/ai-sdk.ts
 */
import { generateText, streamText } from 'ai';
import { createLanguageModel } from '../src/adapters/ai-sdk/index.js';
import { createRuntime } from '../src/index.js';
import { startTestServer } from '../src/testing/index.js';

const upstream = await startTestServer({
  model: 'local-model',
  reply: ({ messages }) =>
    `You said "${messages.at(-1)?.content}". Streams arrive one word at a time.`,
});
const runtime = await createRuntime({
  clients: { assistant: { provider: 'openai', baseUrl: upstream.url, model: 'local-model' } },
  logger: false,
});
const model = createLanguageModel(runtime, 'assistant');

const first = await generateText({ model, system: 'Be brief.', prompt: 'Hello', temperature: 0 });
console.log('generateText:', first.text);
console.log('  usage:', first.usage.inputTokens, 'in,', first.usage.outputTokens, 'out');

const again = await generateText({ model, system: 'Be brief.', prompt: 'Hello', temperature: 0 });
console.log('  the same call again, cache hit:', again.providerMetadata?.['llm-actors']?.cacheHit);

process.stdout.write('streamText:  ');
const streamed = streamText({ model, prompt: 'Tell me something', maxOutputTokens: 64 });
for await (const delta of streamed.textStream) process.stdout.write(delta);
console.log(`\n  finish reason: ${await streamed.finishReason}`);

const health = runtime.health('assistant');
console.log(
  `client health: ${health.status}, fuse ${health.fuse.state}, ${health.requests.total} requests,`,
  `${health.cache.hits} cache hit(s), ${upstream.requests} upstream call(s)`,
);

await runtime.stop();
await upstream.close();
