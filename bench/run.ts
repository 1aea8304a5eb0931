/**
 * npm run bench: llm-actors against the physical limit — a fair raw undici caller on the same
 * loopback upstream (bench/contenders.ts) — with every contender in a process of its own, rounds
 * interleaved (the order rotating each round), medians with their spread [min–max] over the
 * rounds, and the targets checked at the end. Results and their reading: docs/benchmarks.md.
 *
 *   npm run bench                                 # everything (about 5 minutes)
 *   npm run bench -- --only client                # everything but the gateway
 *   npm run bench -- --only loopback,hits         # parts: loopback slow hits memory scaling gateway
 *   npm run bench -- --rounds 5 --quick           # fewer rounds, fewer requests a round
 *   npm run bench -- --only loopback --sdk        # with the openai SDK as a contender too
 *   npm run bench -- --only loopback --cpu-prof /tmp/prof   # a .cpuprofile per contender
 *   npm run build && npm run bench -- --runtime dist …      # the built package instead of src/
 *
 * Summarize a profile with `node --import tsx bench/cpuprofile.ts <file.cpuprofile>`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gatewayBench } from './gateway.js';
import {
  showSpread,
  spread,
  startWorker,
  upstream,
  type Sample,
  type Spread,
  type Upstream,
  type Worker,
} from './measure.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    sdk: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    runtime: { type: 'string', default: 'src' },
  },
});
if (args.runtime !== 'src' && args.runtime !== 'dist') throw new Error('--runtime: src or dist');
// The contender processes inherit it (bench/runtime.ts).
process.env.BENCH_RUNTIME = args.runtime;
const ROUNDS = Number(args.rounds);
const SCALE = args.quick ? 0.3 : 1;
const PARTS = ['loopback', 'slow', 'hits', 'memory', 'scaling', 'gateway'];
const only = new Set(
  (args.only ?? PARTS.join(','))
    .split(',')
    .flatMap((p) => (p === 'client' ? PARTS.filter((q) => q !== 'gateway') : [p])),
);
for (const part of only) {
  if (!PARTS.includes(part)) throw new Error(`--only: unknown part ${part} (${PARTS} or client)`);
}
if (args['cpu-prof'] !== undefined) {
  // The contender processes profile their measured rounds (bench/worker.ts).
  process.env.BENCH_PROFILE_DIR = resolve(args['cpu-prof']);
  mkdirSync(process.env.BENCH_PROFILE_DIR, { recursive: true });
}
const dir = mkdtempSync(join(tmpdir(), 'llma-bench-'));

const LABELS: Record<string, string> = {
  noop: 'harness only (a call that does nothing)',
  raw: 'raw undici pool.request + JSON',
  'raw-sse': 'raw undici pool.request, SSE parsed',
  miss: 'llm-actors miss (distinct prompts, memory cache)',
  'miss-nocache': 'llm-actors miss (cache: false)',
  'miss-group': 'llm-actors miss through a group of one member',
  stream: 'llm-actors stream (miss, all chunks read)',
  hit: 'llm-actors memory hit (one repeated prompt)',
  'hit-sqlite': 'llm-actors SQLite hit (in-memory front)',
  'hit-sqlite-nofront': 'llm-actors SQLite hit, no front',
  sdk: 'openai SDK',
};
/** What each contender is compared with. */
const BASE: Record<string, string> = {
  stream: 'raw-sse',
  'raw-sse': 'raw',
  'miss-group': 'miss',
  hit: 'noop',
  'hit-sqlite': 'noop',
  'hit-sqlite-nofront': 'noop',
};
const baseOf = (key: string) => BASE[key] ?? 'raw';

const progress = (line: string) => process.stderr.write(`${line}\n`);

/** Starts one process per contender, then runs `rounds` rounds, the order rotating each round. */
async function rounds(
  tag: string,
  url: string,
  concurrency: number,
  requests: number,
  keys: string[],
): Promise<Map<string, Sample[]>> {
  const workers: Worker[] = await Promise.all(
    keys.map((key) =>
      startWorker(key, { contender: key, url, concurrency, warmup: Math.min(requests, 2_000) }),
    ),
  );
  const samples = new Map<string, Sample[]>(keys.map((k) => [k, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      progress(`${tag}: round ${round + 1}/${ROUNDS}`);
      for (let j = 0; j < workers.length; j++) {
        const worker = workers[(round + j) % workers.length]!;
        samples.get(worker.name)!.push(await worker.run(requests));
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
  return samples;
}

/** Per-round ratios of `key` to its base (the same round: the closest in time). */
function perRound(
  samples: Map<string, Sample[]>,
  key: string,
  f: (s: Sample, base: Sample) => number,
): Spread {
  const base = samples.get(baseOf(key))!;
  return spread(samples.get(key)!.map((s, i) => f(s, base[i]!)));
}
const rpsRatio = (s: Sample, b: Sample) => s.rps / b.rps;
const p50Added = (s: Sample, b: Sample) => (s.p50 - b.p50) * 1000;
const cpuAdded = (s: Sample, b: Sample) => s.cpuUs - b.cpuUs;
/** Base CPU per call over ours: the throughput ratio a CPU-bound run would show, robust to load. */
const cpuRatio = (s: Sample, b: Sample) => b.cpuUs / s.cpuUs;

function table(title: string, samples: Map<string, Sample[]>): string[] {
  const lines = [
    `\n### ${title}\n`,
    '| contender | vs | req/s | × vs (per round) | p50 µs | p50 added µs | p99 µs | CPU µs/req | CPU added µs/req |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [key, list] of samples) {
    const base = samples.has(baseOf(key)) && baseOf(key) !== key ? baseOf(key) : undefined;
    const of = (f: (s: Sample) => number) => spread(list.map(f));
    lines.push(
      `| ${LABELS[key] ?? key} | ${base ?? '—'} | ${showSpread(
        of((s) => s.rps),
        0,
      )} | ${base ? showSpread(perRound(samples, key, rpsRatio), 2) : '—'} | ${showSpread(
        of((s) => s.p50 * 1000),
        0,
      )} | ${base ? showSpread(perRound(samples, key, p50Added), 0) : '—'} | ${of((s) => s.p99 * 1000).median.toFixed(0)} | ${showSpread(
        of((s) => s.cpuUs),
        1,
      )} | ${base ? showSpread(perRound(samples, key, cpuAdded), 1) : '—'} |`,
    );
  }
  return lines;
}

interface Target {
  what: string;
  measured: Spread;
  digits: number;
  unit: string;
  ok: (v: number) => boolean;
  target: string;
}
const targets: Target[] = [];
function verdict(t: Target): string {
  const { median, min, max } = t.measured;
  const met = t.ok(median);
  const all = t.ok(min) && t.ok(max);
  return met
    ? all
      ? 'yes'
      : 'yes (not in every round)'
    : t.ok(max) || t.ok(min)
      ? '**no** (met in some rounds)'
      : '**no**';
}

async function loopback(fast: Upstream): Promise<string[]> {
  const keys = [
    'raw',
    'miss',
    'miss-nocache',
    'miss-group',
    'raw-sse',
    'stream',
    ...(args.sdk ? ['sdk'] : []),
  ];
  const c1 = await rounds('c1', fast.url, 1, Math.round(3_000 * SCALE), keys);
  const c64 = await rounds('c64', fast.url, 64, Math.round(12_000 * SCALE), keys);
  targets.push(
    {
      what: 'miss path, concurrency 64: throughput × raw undici',
      measured: perRound(c64, 'miss', rpsRatio),
      digits: 2,
      unit: 'x',
      ok: (v) => v >= 0.9,
      target: '≥ 0.90x',
    },
    {
      what: 'miss path, concurrency 64: raw undici CPU/request ÷ ours (noise-robust proxy)',
      measured: perRound(c64, 'miss', cpuRatio),
      digits: 2,
      unit: 'x',
      ok: (v) => v >= 0.9,
      target: '≥ 0.90x',
    },
    {
      what: 'miss path (cache: false), concurrency 64: throughput × raw undici',
      measured: perRound(c64, 'miss-nocache', rpsRatio),
      digits: 2,
      unit: 'x',
      ok: (v) => v >= 0.9,
      target: '≥ 0.90x',
    },
    {
      what: 'miss path (cache: false), concurrency 64: raw undici CPU/request ÷ ours (noise-robust proxy)',
      measured: perRound(c64, 'miss-nocache', cpuRatio),
      digits: 2,
      unit: 'x',
      ok: (v) => v >= 0.9,
      target: '≥ 0.90x',
    },
    {
      what: 'group of one member, concurrency 64: CPU/request of the client itself ÷ the group',
      measured: perRound(c64, 'miss-group', cpuRatio),
      digits: 2,
      unit: 'x',
      ok: (v) => v >= 0.95,
      target: '≥ 0.95x (within noise)',
    },
    {
      what: 'miss path, concurrency 1: p50 added to raw undici',
      measured: perRound(c1, 'miss', p50Added),
      digits: 1,
      unit: ' µs',
      ok: (v) => v <= 10,
      target: '≤ +10 µs',
    },
    {
      what: 'miss path (cache: false), concurrency 1: p50 added to raw undici',
      measured: perRound(c1, 'miss-nocache', p50Added),
      digits: 1,
      unit: ' µs',
      ok: (v) => v <= 10,
      target: '≤ +10 µs',
    },
    {
      what: 'stream, concurrency 64: throughput × raw SSE consumer',
      measured: perRound(c64, 'stream', rpsRatio),
      digits: 2,
      unit: 'x',
      ok: (v) => v >= 0.9,
      target: '≥ 0.90x',
    },
    {
      what: 'stream, concurrency 64: raw SSE CPU/request ÷ ours (noise-robust proxy)',
      measured: perRound(c64, 'stream', cpuRatio),
      digits: 2,
      unit: 'x',
      ok: (v) => v >= 0.9,
      target: '≥ 0.90x',
    },
  );
  return [
    ...table(
      `Loopback upstream, concurrency 1: ${Math.round(3_000 * SCALE)} requests a round, ${ROUNDS} rounds`,
      c1,
    ),
    ...table(
      `Loopback upstream, concurrency 64: ${Math.round(12_000 * SCALE)} requests a round, ${ROUNDS} rounds`,
      c64,
    ),
  ];
}

async function slowUpstream(slow: Upstream): Promise<string[]> {
  const n = Math.round(1_920 * SCALE);
  const c64 = await rounds('slow-c64', slow.url, 64, n, ['raw', 'miss', 'raw-sse', 'stream']);
  return table(
    `Upstream answering after 50 ms, concurrency 64: ${n} requests a round, ${ROUNDS} rounds`,
    c64,
  );
}

async function hits(fast: Upstream): Promise<string[]> {
  const n = Math.round(100_000 * SCALE);
  const lines: string[] = [];
  for (const concurrency of [1, 64]) {
    const s = await rounds(`hits-c${concurrency}`, fast.url, concurrency, n, [
      'noop',
      'hit',
      'hit-sqlite',
      'hit-sqlite-nofront',
    ]);
    targets.push({
      what: `memory-cache hits, concurrency ${concurrency}`,
      measured: spread(s.get('hit')!.map((x) => x.rps)),
      digits: 0,
      unit: '/s',
      ok: (v) => v >= 500_000,
      target: '≥ 500 000/s',
    });
    targets.push({
      what: `memory-cache hit, concurrency ${concurrency}: CPU per call (noise-robust proxy)`,
      measured: spread(s.get('hit')!.map((x) => x.cpuUs)),
      digits: 2,
      unit: ' µs',
      ok: (v) => v <= 2,
      target: '≤ 2 µs (500 000/s on one core)',
    });
    lines.push(
      ...table(
        `Memory-cache hits, concurrency ${concurrency}: ${n} calls a round, ${ROUNDS} rounds`,
        s,
      ),
    );
  }
  return lines;
}

async function memory(): Promise<string[]> {
  const held = await upstream('hold');
  const n = Math.round(10_000 * Math.max(SCALE, 0.5));
  const memoryRounds = Math.min(ROUNDS, 3);
  try {
    const workers = await Promise.all(
      ['raw', 'runtime'].map((kind) =>
        startWorker(kind, {
          contender: `inflight:${kind}`,
          url: held.url,
          concurrency: n,
          warmup: 0,
        }),
      ),
    );
    const bytes = new Map<string, number[]>([
      ['raw', []],
      ['runtime', []],
    ]);
    try {
      for (let round = 0; round < memoryRounds; round++) {
        progress(`memory: round ${round + 1}/${memoryRounds}`);
        for (let j = 0; j < workers.length; j++) {
          const worker = workers[(round + j) % workers.length]!;
          bytes.get(worker.name)!.push((await worker.run(n)).bytesPerRequest!);
        }
      }
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
    const raw = bytes.get('raw')!;
    const ours = bytes.get('runtime')!;
    const added = spread(ours.map((b, i) => (b - raw[i]!) / 1024));
    targets.push({
      what: `heap per request in flight (${n} held by the upstream), over raw undici`,
      measured: added,
      digits: 2,
      unit: ' KiB',
      ok: (v) => v <= 1,
      target: '≤ +1 KiB',
    });
    return [
      `\n### Heap per request in flight: ${n} requests held by the upstream, ${memoryRounds} rounds\n`,
      '| contender | heap per request in flight | added |',
      '| --- | ---: | ---: |',
      `| raw undici pool.request (${n} connections) | ${showSpread(spread(raw.map((b) => b / 1024)), 2, ' KiB')} | — |`,
      `| llm-actors miss (maxConcurrency ${n}) | ${showSpread(spread(ours.map((b) => b / 1024)), 2, ' KiB')} | ${showSpread(added, 2, ' KiB')} |`,
    ];
  } finally {
    held.child.kill();
  }
}

async function scaling(fast: Upstream, slow: Upstream): Promise<string[]> {
  progress('scaling checks');
  const worker = await startWorker('scaling', {
    contender: 'job:scaling',
    url: fast.url,
    slowUrl: slow.url,
    concurrency: 1,
    warmup: 0,
  });
  let r: Record<string, number>;
  try {
    r = (await worker.run(0)) as unknown as Record<string, number>;
  } finally {
    await worker.close();
  }
  return [
    '\n### Scaling checks\n',
    '| check | result | target |',
    '| --- | --- | --- |',
    `| 1 000 clients: start-up | ${r.startupMs!.toFixed(0)} ms | < 1 000 ms |`,
    `| 1 000 clients: heap each, idle | ${r.heapPerClientKiB!.toFixed(1)} KiB | < 100 KiB |`,
    `| 10 000 requests in flight across 1 000 clients (50 ms upstream) | ${r.inFlightAnswered} answered in ${r.inFlightMs!.toFixed(0)} ms | all answered |`,
    `| 1 000 identical concurrent requests | ${r.upstreamCalls} upstream call(s) | exactly 1 |`,
    `| fuse check on the request path (closed) | ${r.fuseCheckNs!.toFixed(1)} ns (${r.fuseLetThrough === 1 ? 'all let through' : 'WRONG'}) | < 1 µs |`,
  ];
}

const started = performance.now();
const fast = await upstream(0);
const slow = await upstream(50);
const out: string[] = [
  `Node ${process.version}, ${process.arch}, ${ROUNDS} rounds${args.quick ? ' (quick)' : ''}, runtime from ${args.runtime}/; each contender in its own process; medians [min–max over the rounds]; "× vs" and "added" are per round, against the base contender of the same round`,
];
try {
  if (only.has('loopback')) out.push(...(await loopback(fast)));
  if (only.has('slow')) out.push(...(await slowUpstream(slow)));
  if (only.has('hits')) out.push(...(await hits(fast)));
  if (only.has('memory')) out.push(...(await memory()));
  if (only.has('scaling')) out.push(...(await scaling(fast, slow)));
  if (targets.length > 0) {
    out.push(
      '\n### Targets\n',
      '| target | measured: median [min–max] | required | met? |',
      '| --- | ---: | --- | --- |',
      ...targets.map(
        (t) =>
          `| ${t.what} | ${showSpread(t.measured, t.digits, t.unit)} | ${t.target} | ${verdict(t)} |`,
      ),
    );
  }
  if (only.has('gateway')) {
    out.push(...(await gatewayBench(fast, dir, ROUNDS, SCALE)));
  }
} finally {
  fast.child.kill();
  slow.child.kill();
  rmSync(dir, { recursive: true, force: true });
}
out.push(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
console.log(out.join('\n'));
