/**
 * npm run bench: llm-actors against the physical limit (raw undici Pool on the same loopback
 * upstream, in another process), interleaved over several rounds; medians and ratios.
 *
 *   npm run bench               # default rounds
 *   BENCH_ROUNDS=7 BENCH_REQUESTS=20000 npm run bench
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Pool } from 'undici';
import { createRuntime } from '../src/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10_000);
const CONCURRENCY = 64;

async function startUpstream(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./upstream.ts', import.meta.url).pathname],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${String(chunk).trim()}`, stop: () => child.kill() };
}

/** Runs `n` calls of `fn` with `concurrency` in flight; returns requests per second. */
async function measure(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) await fn(i);
    }),
  );
  return (n / (performance.now() - started)) * 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const upstream = await startUpstream();
const pool = new Pool(upstream.url, { connections: CONCURRENCY, pipelining: 1 });
const payload = (i: number) =>
  JSON.stringify({
    model: 'bench-model',
    messages: [{ role: 'user', content: `prompt ${i}` }],
    temperature: 0,
  });
const runtime = await createRuntime({
  clients: {
    bench: {
      provider: 'openai',
      baseUrl: `${upstream.url}/v1`,
      model: 'bench-model',
      maxConcurrency: CONCURRENCY,
    },
  },
  logger: false,
});
const hitMessages = [{ role: 'user' as const, content: 'the same prompt' }];
await runtime.request('bench', hitMessages);

const contenders: Record<string, (round: number) => Promise<number>> = {
  'raw undici Pool.request': () =>
    measure(REQUESTS, CONCURRENCY, async (i) => {
      const res = await pool.request({
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json' },
        body: payload(i),
      });
      JSON.parse(await res.body.text());
    }),
  'llm-actors miss (memory cache)': (round) =>
    measure(REQUESTS, CONCURRENCY, (i) =>
      runtime.request('bench', [{ role: 'user', content: `r${round} prompt ${i}` }], {
        temperature: 0,
      }),
    ),
  'llm-actors memory-cache hit': () =>
    measure(REQUESTS, CONCURRENCY, () => runtime.request('bench', hitMessages)),
};

const results = new Map<string, number[]>(Object.keys(contenders).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(contenders)) results.get(name)!.push(await run(round));
  process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
}

const baseline = median(results.get('raw undici Pool.request')!);
console.log(
  `\n${REQUESTS} requests per round, concurrency ${CONCURRENCY}, ${ROUNDS} rounds (median)\n`,
);
console.log(`${'contender'.padEnd(34)}${'req/s'.padStart(10)}${'x raw undici'.padStart(14)}`);
for (const [name, values] of results) {
  const m = median(values);
  console.log(
    `${name.padEnd(34)}${m.toFixed(0).padStart(10)}${(m / baseline).toFixed(2).padStart(14)}`,
  );
}

await runtime.stop();
await pool.close();
upstream.stop();
