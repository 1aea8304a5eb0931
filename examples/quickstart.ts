/**
 * Quickstart: three named clients against a local OpenAI-compatible server — one healthy, one
 * flaky, one down — with a SQLite cache under .cache/. A burst of requests, a progress bar,
 * then each client's health. Run it twice: the second run is served from the persisted cache.
 *
 *   npm run quickstart
 */
import { mkdirSync } from 'node:fs';
import { pino } from 'pino';
import {
  createRuntime,
  isClientHealth,
  isLlmActorsError,
  type ClientHealth,
} from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';

const REQUESTS_PER_CLIENT = 120;
const DISTINCT_PROMPTS = 40;
const CONCURRENCY_PER_CLIENT = 8;

mkdirSync('.cache', { recursive: true });

/**
 * The upstream's URL is part of the cache key, so the quickstart asks for the same ports every
 * run (and falls back to any free port, losing the second run's hits, if they are taken).
 */
async function upstream(port: number): Promise<TestServer> {
  try {
    return await startTestServer({ port, model: 'local-model' });
  } catch {
    return startTestServer({ model: 'local-model' });
  }
}

const healthyUpstream = await upstream(18431);
const flakyUpstream = await upstream(18432);
flakyUpstream.seed(7);
flakyUpstream.inject({ kind: 'status', status: 503, retryAfterMs: 20 }, { probability: 0.2 });
flakyUpstream.inject({ kind: 'reset' }, { probability: 0.05 });
flakyUpstream.inject({ kind: 'latency', ms: 15 }, { probability: 0.3 });
const downUpstream = await upstream(18433);
const downUrl = downUpstream.url;
await downUpstream.close();

const runtime = await createRuntime({
  clients: {
    healthy: { provider: 'openai', baseUrl: healthyUpstream.url, model: 'local-model' },
    flaky: {
      provider: 'openai',
      baseUrl: flakyUpstream.url,
      model: 'local-model',
      retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200 },
      fuse: { maxFailures: 12, windowMs: 2_000, resetMs: 500 },
    },
    down: {
      provider: 'openai',
      baseUrl: downUrl,
      model: 'local-model',
      retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50 },
      fuse: { maxFailures: 3, resetMs: 60_000 },
    },
  },
  cache: { store: 'sqlite', path: '.cache/quickstart.sqlite' },
  logger: pino({ level: 'info' }, pino.destination({ dest: '.cache/quickstart.log', sync: true })),
});

const melts: string[] = [];
runtime.on('fuse:open', (e) => melts.push(e.client));

const names = runtime.clients();
const total = names.length * REQUESTS_PER_CLIENT;
let done = 0;
const outcomes = new Map<string, number>();

function progress(): void {
  const width = 40;
  const filled = Math.round((done / total) * width);
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  const line = `  ${bar} ${String(done).padStart(String(total).length)}/${total} requests`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line}`);
  else if (done === total || done % Math.ceil(total / 4) === 0) process.stdout.write(`${line}\n`);
}

console.log(`llm-actors quickstart: ${names.join(', ')} against local upstreams\n`);
const started = performance.now();

/** One caller of a client: asks the prompts in turn, as a user's worker would. */
async function caller(name: string, next: () => number | undefined): Promise<void> {
  for (let i = next(); i !== undefined; i = next()) {
    if (name === 'flaky' && i === REQUESTS_PER_CLIENT / 2) runtime.kill('flaky');
    const n = i % DISTINCT_PROMPTS;
    const outcome = await runtime
      .request(name, [{ role: 'user', content: `Question ${n}: what is ${n} squared?` }], {
        temperature: 0,
      })
      .then(
        (res) => (res.cacheHit ? 'cache hits' : 'answered upstream'),
        (e: unknown) => (isLlmActorsError(e) ? e.code : 'untyped error'),
      );
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    done++;
    progress();
  }
}

const work: Promise<void>[] = [];
for (const name of names) {
  let index = 0;
  const next = () => (index < REQUESTS_PER_CLIENT ? index++ : undefined);
  for (let c = 0; c < CONCURRENCY_PER_CLIENT; c++) work.push(caller(name, next));
}
await Promise.all(work);
const seconds = (performance.now() - started) / 1000;
if (process.stdout.isTTY) process.stdout.write('\n');

console.log(
  `\n${total} requests in ${seconds.toFixed(2)} s — ${[...outcomes]
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')}`,
);
if (melts.length > 0) console.log(`fuse melted for: ${[...new Set(melts)].join(', ')}`);
console.log('(the flaky client was killed once mid-burst; its supervisor restarted it)\n');

const columns: Array<[string, (h: ClientHealth) => string]> = [
  ['client', (h) => h.name],
  ['status', (h) => h.status],
  ['fuse', (h) => h.fuse.state],
  ['ok', (h) => String(h.requests.succeeded)],
  ['failed', (h) => String(h.requests.failed)],
  ['rejected', (h) => String(h.requests.rejected)],
  ['cache hits', (h) => `${(h.cache.hitRate * 100).toFixed(0)}%`],
  ['p50 ms', (h) => h.latencyMs.p50.toFixed(2)],
  ['p99 ms', (h) => h.latencyMs.p99.toFixed(2)],
  ['restarts', (h) => String(h.restarts)],
  ['last error', (h) => h.lastError?.code ?? '-'],
];
const rows = Object.values(runtime.health())
  .filter(isClientHealth)
  .map((h) => columns.map(([, get]) => get(h)));
const widths = columns.map(([title], i) =>
  Math.max(title.length, ...rows.map((r) => r[i]!.length)),
);
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
console.log(line(columns.map(([title]) => title)));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of rows) console.log(line(row));

await runtime.stop();
await Promise.all([healthyUpstream.close(), flakyUpstream.close()]);
console.log(
  '\nCache: .cache/quickstart.sqlite (run `npm run quickstart` again to see it served from the cache)',
);
console.log('Logs:  .cache/quickstart.log');
