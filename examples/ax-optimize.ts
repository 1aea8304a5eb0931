/**
 * An emotion classifier optimized with Ax — AxBootstrapFewShot for demos, then AxGEPA for the
 * instruction — through one named llm-actors client with a SQLite cache. The upstream is the
 * local test server playing a model that takes 25 ms a call.
 *
 * DSPy's DriverLM finding, in numbers: an optimizer repeats a great many identical calls, so a
 * cache keyed on the full request turns a re-run into zero upstream calls — as long as the run
 * is reproducible, which with Ax takes one more step (see `seeded`).
 *
 *   npx tsx examples/ax-optimize.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxBootstrapFewShot, AxGEPA, ax, type AxAIService } from '@ax-llm/ax';
import { createAxService } from '../src/adapters/ax/index.js';
import { createRuntime } from '../src/index.js';
import { startTestServer } from '../src/testing/index.js';
import { EMOTION_SIGNATURE, emotionModel, metric, seeded, train, validation } from './emotion.js';

/** Bootstrap demos, then evolve the instruction; returns the GEPA best score. */
async function optimize(llm: AxAIService): Promise<number> {
  const classify = ax(EMOTION_SIGNATURE);
  const bootstrap = new AxBootstrapFewShot({
    studentAI: llm,
    seed: 42, // ignored by Ax today; kept to show it is not enough
    verbose: false,
    options: { maxRounds: 1, maxDemos: 3, verboseMode: false },
  });
  const { demos } = await bootstrap.compile(classify, train, metric);
  // compile() leaves its last trial demos on the program: set the chosen ones.
  classify.setDemos(demos ?? []);
  const gepa = new AxGEPA({
    studentAI: llm,
    teacherAI: llm,
    numTrials: 4,
    minibatch: true,
    minibatchSize: 3,
    earlyStoppingTrials: 2,
    seed: 1,
    verbose: false,
  });
  const result = await gepa.compile(classify, train, metric, {
    validationExamples: validation,
    maxMetricCalls: 60,
  });
  return result.bestScore;
}

const dir = mkdtempSync(join(tmpdir(), 'llm-actors-ax-'));
const server = await startTestServer({ reply: emotionModel });
server.inject({ kind: 'latency', ms: 25 });
const runtime = await createRuntime({
  clients: { classifier: { provider: 'openai', baseUrl: server.url, model: 'emotion-7b' } },
  // The server's URL, port included, is part of the cache key: this file serves one process.
  cache: { store: 'sqlite', path: join(dir, 'ax.sqlite') },
  logger: false,
});

const rows: string[][] = [];
async function run(label: string, llm: AxAIService, seed: number | undefined): Promise<void> {
  const calls = server.requests;
  const hits = runtime.health('classifier').cache.hits;
  const started = performance.now();
  const score = await (seed === undefined ? optimize(llm) : seeded(seed, () => optimize(llm)));
  rows.push([
    label,
    String(server.requests - calls),
    String(runtime.health('classifier').cache.hits - hits),
    `${Math.round(performance.now() - started)} ms`,
    score.toFixed(2),
  ]);
}

try {
  const llm = createAxService(runtime, 'classifier');
  await run('first run (cold cache)', llm, 7);
  await run('repeated run, same seed', llm, 7);
  await run('repeated run, Ax seed only', llm, undefined);
  await run('cache off', createAxService(runtime, 'classifier', { cache: false }), 7);
} finally {
  await runtime.stop();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}

const head = ['run', 'upstream calls', 'cache hits', 'time', 'GEPA best'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of rows) console.log(line(row));
