/**
 * npm run bench: llm-actors against the physical limit — raw undici on the same loopback
 * upstream, in another process — and against the openai SDK, interleaved over several rounds;
 * medians and ratios. Then the scaling checks. Results and their reading: docs/benchmarks.md.
 *
 *   npm run bench                     # the full run (a few minutes)
 *   npm run bench -- --rounds 3 --quick
 *   npm run bench -- --only gateway   # or --only client
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { Pool } from 'undici';
import { gatewayBench } from './gateway.js';
import { measure, median, upstream, type Sample, type Upstream } from './measure.js';
import { Fuse } from '../src/policy/fuse.js';
import { systemClock } from '../src/model/clock.js';
import { DEFAULTS } from '../src/config/defaults.js';
import { createRuntime, type ChatMessage, type Runtime } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const ROUNDS = Number(args.rounds);
const SCALE = args.quick ? 0.3 : 1;
const dir = mkdtempSync(join(tmpdir(), 'llma-bench-'));

function payload(i: number, stream = false): string {
  return JSON.stringify({
    model: 'bench-model',
    messages: [{ role: 'user', content: `prompt ${i}` }],
    temperature: 0,
    ...(stream ? { stream: true } : {}),
  });
}

type Contender = (round: number) => (i: number) => Promise<unknown>;

async function scenario(
  title: string,
  up: Upstream,
  concurrency: number,
  requests: number,
  withHits: boolean,
): Promise<string[]> {
  const pool = new Pool(up.url, { connections: concurrency, pipelining: 1 });
  const sdk = new OpenAI({ apiKey: 'bench', baseURL: `${up.url}/v1`, maxRetries: 0 });
  const client = {
    provider: 'openai' as const,
    baseUrl: `${up.url}/v1`,
    model: 'bench-model',
    maxConcurrency: concurrency,
    maxQueue: 100_000,
  };
  const runtime: Runtime = await createRuntime({
    clients: {
      miss: client,
      sqlite: {
        ...client,
        cache: { store: 'sqlite', path: join(dir, `c${concurrency}-${Date.now()}.sqlite`) },
      },
      sqliteCold: {
        ...client,
        cache: {
          store: 'sqlite',
          path: join(dir, `cold${concurrency}-${Date.now()}.sqlite`),
          frontEntries: 0,
        },
      },
    },
    logger: false,
  });
  const same: ChatMessage[] = [{ role: 'user', content: 'the same prompt' }];
  await runtime.request('miss', same);
  await runtime.request('sqlite', same);
  await runtime.request('sqliteCold', same);
  const distinct = (round: number, i: number): ChatMessage[] => [
    { role: 'user', content: `${title} round ${round} prompt ${i}` },
  ];
  const contenders: Record<string, Contender> = {
    'raw undici Pool.request': () => async (i) => {
      const res = await pool.request({
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json' },
        body: payload(i),
      });
      return JSON.parse(await res.body.text());
    },
    'openai SDK': () => (i) =>
      sdk.chat.completions.create({
        model: 'bench-model',
        messages: [{ role: 'user', content: `prompt ${i}` }],
        temperature: 0,
      }),
    'llm-actors miss': (round) => (i) =>
      runtime.request('miss', distinct(round, i), { temperature: 0 }),
    'llm-actors stream (miss)': (round) => async (i) => {
      const s = runtime.stream('miss', distinct(round + 1_000, i), { temperature: 0 });
      for await (const chunk of s) void chunk;
      return s.completion;
    },
  };
  if (withHits) {
    contenders['llm-actors memory hit'] = () => () => runtime.request('miss', same);
    contenders['llm-actors SQLite hit'] = () => () => runtime.request('sqlite', same);
    contenders['llm-actors SQLite hit, no front'] = () => () => runtime.request('sqliteCold', same);
  }
  const samples = new Map<string, Sample[]>(Object.keys(contenders).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, make] of Object.entries(contenders)) {
      const isHit = name.includes('hit');
      samples
        .get(name)!
        .push(await measure(isHit ? requests * 3 : requests, concurrency, make(round)));
    }
  }
  await runtime.stop();
  await pool.close();
  const base = samples.get('raw undici Pool.request')!;
  const baseRps = median(base.map((s) => s.rps));
  const baseP50 = median(base.map((s) => s.p50));
  const lines = [
    `\n### ${title}: concurrency ${concurrency}, ${requests} requests a round, median of ${ROUNDS} rounds\n`,
    '| contender | req/s | × raw undici | p50 ms | p50 added | p99 ms | CPU µs/req |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, list] of samples) {
    const rps = median(list.map((s) => s.rps));
    const p50 = median(list.map((s) => s.p50));
    lines.push(
      `| ${name} | ${rps.toFixed(0)} | ${(rps / baseRps).toFixed(2)} | ${p50.toFixed(3)} | ${name.startsWith('raw') || name.includes('hit') ? '—' : `${((p50 - baseP50) * 1000).toFixed(0)} µs`} | ${median(list.map((s) => s.p99)).toFixed(3)} | ${median(list.map((s) => s.cpuUs)).toFixed(0)} |`,
    );
  }
  return lines;
}

async function scaling(fast: Upstream, slow: Upstream): Promise<string[]> {
  const lines = ['\n### Scaling checks\n', '| check | result | target |', '| --- | --- | --- |'];
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const clients: Record<
    string,
    { provider: 'openai'; baseUrl: string; model: string; maxConcurrency: number }
  > = {};
  for (let i = 0; i < 1_000; i++) {
    clients[`c${i}`] = {
      provider: 'openai',
      baseUrl: `${slow.url}/v1`,
      model: 'm',
      maxConcurrency: 4,
    };
  }
  const many = await createRuntime({ clients, logger: false });
  const startup = performance.now() - started;
  globalThis.gc?.();
  const perClient = (process.memoryUsage().heapUsed - heapBefore) / 1_000 / 1024;
  lines.push(`| 1 000 clients: start-up | ${startup.toFixed(0)} ms | < 1 000 ms |`);
  lines.push(`| 1 000 clients: heap each, idle | ${perClient.toFixed(1)} KiB | < 100 KiB |`);
  const flightStarted = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: 10_000 }, (_, i) =>
      many.request(`c${i % 1_000}`, [{ role: 'user', content: `in flight ${i}` }], {
        cache: false,
      }),
    ),
  );
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  lines.push(
    `| 10 000 requests in flight across 1 000 clients (50 ms upstream) | ${ok} answered in ${(performance.now() - flightStarted).toFixed(0)} ms | all answered |`,
  );
  await many.stop();
  const one = await createRuntime({
    clients: { one: { provider: 'openai', baseUrl: `${fast.url}/v1`, model: 'm' } },
    logger: false,
  });
  const before = await fast.count();
  await Promise.all(
    Array.from({ length: 1_000 }, () => one.request('one', [{ role: 'user', content: 'same' }])),
  );
  lines.push(
    `| 1 000 identical concurrent requests | ${(await fast.count()) - before} upstream call(s) | exactly 1 |`,
  );
  await one.stop();
  const fuse = new Fuse(
    DEFAULTS.fuse,
    systemClock,
    () => {},
    () => {},
  );
  const n = 5_000_000;
  let ok2 = 0;
  const t = performance.now();
  for (let i = 0; i < n; i++) if (fuse.ask().ok) ok2++;
  const ns = ((performance.now() - t) * 1e6) / n;
  fuse.stop();
  lines.push(
    `| fuse check on the request path (closed) | ${ns.toFixed(1)} ns (${ok2 === n ? 'all let through' : 'WRONG'}) | < 1 µs |`,
  );
  return lines;
}

const fast = await upstream(0);
const slow = await upstream(50);
const out: string[] = [
  `Node ${process.version}, ${process.arch}, rounds ${ROUNDS}${args.quick ? ' (quick)' : ''}`,
];
try {
  if (args.only === undefined || args.only === 'client') {
    out.push(...(await scenario('loopback upstream', fast, 1, Math.round(1_500 * SCALE), true)));
    out.push(...(await scenario('loopback upstream', fast, 64, Math.round(6_000 * SCALE), true)));
    out.push(...(await scenario('loopback upstream', fast, 256, Math.round(6_000 * SCALE), true)));
    out.push(
      ...(await scenario(
        'upstream with 50 ms latency',
        slow,
        64,
        Math.round(1_280 * SCALE),
        false,
      )),
    );
    out.push(...(await scaling(fast, slow)));
  }
  if (args.only === undefined || args.only === 'gateway') {
    out.push(...(await gatewayBench(fast, dir, ROUNDS, SCALE)));
  }
} finally {
  fast.child.kill();
  slow.child.kill();
  rmSync(dir, { recursive: true, force: true });
}
console.log(out.join('\n'));
