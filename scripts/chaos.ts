/**
 * The chaos run: three clients (one per wire format) against a fault-injecting server, many
 * requests and streams at high concurrency, actors killed at random — and the promises checked:
 * every request settles once with a Completion or a typed error, nothing is unhandled, nothing
 * outlives its deadline, counters add up, memory does not grow across rounds, and after
 * `stop()` the process exits by itself (it never calls process.exit).
 *
 *   npm run chaos                                   # the full run
 *   node --expose-gc --import tsx scripts/chaos.ts --requests 300 --rounds 2 --json
 */
import { parseArgs } from 'node:util';
import { createRuntime, isClientHealth, isLlmActorsError, type Runtime } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '64' },
    seed: { type: 'string', default: '7' },
    'timeout-ms': { type: 'string', default: '400' },
    json: { type: 'boolean', default: false },
  },
});
const REQUESTS = Number(args.requests);
const ROUNDS = Number(args.rounds);
const CONCURRENCY = Number(args.concurrency);
const TIMEOUT_MS = Number(args['timeout-ms']);
/**
 * How late a settlement may be after its deadline, on top of the worst lateness the process's
 * own timers showed in the run (a loaded machine delays every timer; that is not the runtime's
 * doing). The lag is read after the run, not at settlement: when a stall ends, the expired
 * deadlines settle in one batch before the canary below gets to run and record the stall.
 */
const DEADLINE_MARGIN_MS = 150;

/** The worst lateness of a plain 20 ms interval timer since the last reset: the machine's lag. */
const lag = { worst: 0, expected: 0 };
const canary = setInterval(() => {
  const now = performance.now();
  if (lag.expected > 0) lag.worst = Math.max(lag.worst, now - lag.expected);
  lag.expected = now + 20;
}, 20);
const CLIENTS = ['openai', 'anthropic', 'ollama'] as const;

/** A small seeded PRNG, so a run can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const unhandled: unknown[] = [];
process.on('unhandledRejection', (e) => unhandled.push(e));
process.on('uncaughtException', (e) => unhandled.push(e));

function injectFaults(server: TestServer): void {
  server.inject({ kind: 'status', status: 500 }, { probability: 0.08 });
  server.inject({ kind: 'status', status: 429, retryAfterMs: 5 }, { probability: 0.05 });
  server.inject({ kind: 'status', status: 529 }, { probability: 0.02 });
  server.inject({ kind: 'reset' }, { probability: 0.04 });
  server.inject({ kind: 'hang' }, { probability: 0.02 });
  server.inject({ kind: 'malformed' }, { probability: 0.02 });
  server.inject({ kind: 'truncated' }, { probability: 0.03 });
  server.inject({ kind: 'stream_error', afterDeltas: 1 }, { probability: 0.03 });
  server.inject({ kind: 'stream_cut', afterDeltas: 1 }, { probability: 0.03 });
  server.inject({ kind: 'trickle', chunkDelayMs: 2, chunkBytes: 64 }, { probability: 0.04 });
  server.inject({ kind: 'latency', ms: 15 }, { probability: 0.1 });
}

interface RoundReport {
  requests: number;
  completions: number;
  errors: Record<string, number>;
  untyped: number;
  settledTwice: number;
  /** How far past its deadline each request settled (negative: before it). */
  lateMs: number[];
  kills: number;
  heapMb: number;
}

async function round(runtime: Runtime, random: () => number, index: number): Promise<RoundReport> {
  const report: RoundReport = {
    requests: 0,
    completions: 0,
    errors: {},
    untyped: 0,
    settledTwice: 0,
    lateMs: [],
    kills: 0,
    heapMb: 0,
  };
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < REQUESTS; i = next++) {
      const client = CLIENTS[Math.floor(random() * CLIENTS.length)]!;
      if (random() < 0.003) {
        runtime.kill(client);
        report.kills++;
      }
      const messages = [{ role: 'user' as const, content: `round ${index} q ${i % 50}` }];
      const options = { timeoutMs: TIMEOUT_MS, cache: random() < 0.5 };
      const started = performance.now();
      let settled = 0;
      report.requests++;
      const streamed = random() < 0.3;
      const work = streamed
        ? (async () => {
            const s = runtime.stream(client, messages, options);
            if (random() < 0.1) {
              for await (const chunk of s) {
                if (chunk.text) break;
              }
            } else {
              for await (const chunk of s) void chunk;
            }
            return s.completion;
          })()
        : runtime.request(client, messages, options);
      await work.then(
        () => {
          settled++;
          report.completions++;
        },
        (e: unknown) => {
          settled++;
          if (isLlmActorsError(e)) report.errors[e.code] = (report.errors[e.code] ?? 0) + 1;
          else report.untyped++;
        },
      );
      report.lateMs.push(performance.now() - started - TIMEOUT_MS);
      if (settled !== 1) report.settledTwice++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  globalThis.gc?.();
  report.heapMb = process.memoryUsage().heapUsed / 1e6;
  return report;
}

/** Short open times, so that the fuses cycle through half-open many times in a run. */
const fuse = { maxFailures: 20, windowMs: 1_000, resetMs: 100, maxResetMs: 1_000 };
const server = await startTestServer({ splitBytes: 7 });
server.seed(Number(args.seed));
injectFaults(server);
const runtime = await createRuntime({
  clients: {
    openai: { provider: 'openai', baseUrl: server.url, model: 'm', fuse },
    anthropic: { provider: 'anthropic', baseUrl: server.origin, model: 'm', fuse },
    ollama: { provider: 'ollama', baseUrl: server.origin, model: 'm', fuse },
  },
  supervisor: { maxRestarts: 1_000, periodMs: 1_000 },
  logger: false,
});

const random = rng(Number(args.seed));
const rounds: RoundReport[] = [];
for (let r = 0; r < ROUNDS; r++) rounds.push(await round(runtime, random, r));

await new Promise((resolve) => setTimeout(resolve, 50));
clearInterval(canary);
const lateMs = rounds
  .flatMap((r) => r.lateMs)
  .filter((late) => late > DEADLINE_MARGIN_MS + lag.worst)
  .map((late) => Math.round(late - lag.worst));
const health = runtime.health();
await runtime.stop({ timeoutMs: 1_000 });
await server.close();

const counters = Object.values(health)
  .filter(isClientHealth)
  .map((h) => h.requests);
const sum = (f: (r: RoundReport) => number) => rounds.reduce((n, r) => n + f(r), 0);
const errors: Record<string, number> = {};
for (const r of rounds)
  for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
const firstHeap = rounds[0]!.heapMb;
const lastHeap = rounds.at(-1)!.heapMb;
const report = {
  requests: sum((r) => r.requests),
  completions: sum((r) => r.completions),
  errors,
  kills: sum((r) => r.kills),
  faultsInjected: Object.values(server.stats.faults).reduce((n, v) => n + v, 0),
  faults: server.stats.faults,
  upstreamRequests: server.requests,
  heapMbByRound: rounds.map((r) => Math.round(r.heapMb * 10) / 10),
  worstTimerLagMs: Math.round(lag.worst),
  invariants: {
    everyRequestSettledOnce: sum((r) => r.settledTwice) === 0,
    everyErrorTyped: sum((r) => r.untyped) === 0,
    nothingUnhandled: unhandled.length === 0,
    noneOutlivedItsDeadline: lateMs.length === 0,
    countersAddUp: counters.every(
      (c) => c.total === c.succeeded + c.failed + c.rejected && c.inFlight === 0 && c.queued === 0,
    ),
    memoryFlat: ROUNDS < 3 || lastHeap - firstHeap <= 4,
  },
  late: lateMs.slice(0, 10),
  unhandled: unhandled.slice(0, 3).map(String),
};
const ok = Object.values(report.invariants).every(Boolean);
if (args.json) console.log(JSON.stringify(report));
else
  console.log(JSON.stringify(report, null, 2), ok ? '\nall invariants hold' : '\nINVARIANT BROKEN');
process.exitCode = ok ? 0 : 1;
