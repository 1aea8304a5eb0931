/**
 * Streaming that visibly streams: a local OpenAI-compatible server sends one word every 60 ms,
 * and each chunk is printed as it arrives, with the time it took. The same question again is a
 * cache hit, replayed at once as a stream; with `cache: false` it streams from the server again.
 *
 *   npx tsx examples/stream.ts
 */
import { performance } from 'node:perf_hooks';
import { createRuntime } from '../src/index.js';
import { startTestServer } from '../src/testing/index.js';

const STORY =
  'Once upon a time a small actor kept its own cache, its own fuse and its own pool, ' +
  'and when its provider went down it failed fast while every other actor carried on.';

const server = await startTestServer({ model: 'story-model', reply: () => STORY });
// One SSE event (one word) every 60 ms, as a slow model would send them.
server.inject({ kind: 'trickle', chunkDelayMs: 60 });
const runtime = await createRuntime({
  clients: { story: { provider: 'openai', baseUrl: server.url, model: 'story-model' } },
  logger: false,
});

async function tell(title: string, options: { cache?: false } = {}): Promise<void> {
  process.stdout.write(`\n${title}\n`);
  const t0 = performance.now();
  const s = runtime.stream('story', [{ role: 'user', content: 'Tell me a story' }], options);
  let chunks = 0;
  for await (const chunk of s) {
    if (chunks === 0)
      process.stdout.write(`[first chunk after ${Math.round(performance.now() - t0)} ms] `);
    chunks++;
    process.stdout.write(chunk.text);
  }
  const { cacheHit, finishReason } = await s.completion;
  const ms = Math.round(performance.now() - t0);
  process.stdout.write(
    `\n[${chunks} chunk${chunks === 1 ? '' : 's'} in ${ms} ms, cacheHit: ${cacheHit}, finish: ${finishReason}]\n`,
  );
}

try {
  await tell('1. A fresh answer, word by word as the server sends it:');
  await tell('2. The same question: a cache hit, replayed at once:');
  await tell('3. The same question with cache: false, from the server again:', { cache: false });
} finally {
  await runtime.stop();
  await server.close();
}
