/**
 * failoverbench against `llm-actors serve`'s gateway, in-process: for each of the sixteen cells,
 * a faulty testing server and a healthy fallback one, a runtime with both as clients and a
 * gateway over it, then one streamed request (twenty for cell 15) with the official `openai`
 * client, scored pass / safe / fail (see src/testing/failoverbench-score.ts). docs/failoverbench.md
 * has the cells, the choices made here and the scorecard.
 *
 *   node --import tsx scripts/failoverbench.ts               # a fallback group of both clients
 *   node --import tsx scripts/failoverbench.ts --no-group    # the faulty client alone
 *   node --import tsx scripts/failoverbench.ts --scale 0.1 --cells 7,9,15 --json
 *
 * `--scale` multiplies the bench's own durations (first token, stall, outage, spacing, bounds),
 * not the runtime's: a scaled run is quick, but cells 6, 7, 9 and 15 may score differently.
 * `--sdk-retries` sets the openai client's `maxRetries` (default: the SDK's own default, 2).
 * Both clients get the recommended settings of docs/failoverbench.md ("Recommended group
 * settings"): `firstTokenTimeoutMs` and `idleTimeoutMs` 10 s, a fuse melting at 3 failures in 30 s.
 * `--first-token-timeout MS` and `--idle-timeout MS` replace the two time limits (0: none).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { createGateway } from '../src/gateway/index.js';
import { createRuntime } from '../src/index.js';
import {
  FAILOVERBENCH_MODELS,
  FAILOVERBENCH_TIMING,
  failoverbench,
  scoreFailoverbench,
  seeFailoverbenchChunk,
  startFailoverbenchServers,
  type FailoverbenchCall,
  type FailoverbenchCell,
  type FailoverbenchScore,
  type FailoverbenchTiming,
} from '../src/testing/index.js';

const { values: args } = parseArgs({
  options: {
    'no-group': { type: 'boolean', default: false },
    scale: { type: 'string', default: '1' },
    cells: { type: 'string', default: '1-16' },
    json: { type: 'boolean', default: false },
    'sdk-retries': { type: 'string' },
    'first-token-timeout': { type: 'string' },
    'idle-timeout': { type: 'string' },
  },
});

const grouped = !args['no-group'];
const scale = Number(args.scale);
if (!(scale > 0)) throw new RangeError(`--scale must be a positive number, got ${args.scale}`);

/** `1-16`, `7,9,15` or `1-5,12`. */
function cellNumbers(spec: string): number[] {
  return spec.split(',').flatMap((part) => {
    const [from, to = from] = part.split('-').map(Number) as [number, number?];
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

const timing = Object.fromEntries(
  Object.entries(FAILOVERBENCH_TIMING).map(([key, ms]) => [key, ms * scale]),
) as unknown as FailoverbenchTiming;

/** The name the caller addresses: the group, or the faulty client alone. */
const TARGET = grouped ? 'bench' : 'primary';

/** A time limit of the command line (0: none), else the recommended one. */
function timeLimit(arg: string | undefined, recommended: number): number | undefined {
  if (arg === undefined) return recommended;
  return Number(arg) > 0 ? Number(arg) : undefined;
}

/**
 * The recommended client settings (docs/failoverbench.md): a provider that is silent before its
 * first token or mid-stream costs 10 s, not the whole deadline; a fuse that melts after 3
 * failures in 30 s takes a broken member out of the order although a group sends it only one
 * attempt per call.
 */
const clientSettings = {
  firstTokenTimeoutMs: timeLimit(args['first-token-timeout'], 10_000),
  idleTimeoutMs: timeLimit(args['idle-timeout'], 10_000),
  fuse: { maxFailures: 3, windowMs: 30_000, resetMs: 10_000 },
};

/**
 * The runtime's config: both clients (no cache, or cell 15's twenty identical requests would be
 * served from it), and in group mode a fallback group in the shape of DESIGN.md "Contract, part
 * 3" (a context overflow also goes to the fallback).
 */
function runtimeConfig(primaryUrl: string, fallbackUrl: string) {
  const client = (baseUrl: string, model: string) => ({
    provider: 'openai' as const,
    baseUrl,
    model,
    apiKey: 'failoverbench',
    cache: false as const,
    ...clientSettings,
  });
  const clients = {
    primary: client(primaryUrl, FAILOVERBENCH_MODELS.primary),
    fallback: client(fallbackUrl, FAILOVERBENCH_MODELS.fallback),
  };
  const group = {
    members: ['primary', 'fallback'],
    strategy: 'fallback' as const,
    resumeStreams: true,
    onContextOverflow: ['fallback'],
  };
  return { clients, logger: false as const, ...(grouped && { groups: { [TARGET]: group } }) };
}

/** One streamed call, abandoned at `boundMs`. */
async function streamOnce(
  client: OpenAI,
  boundMs: number,
  cellStart: number,
): Promise<FailoverbenchCall> {
  const startMs = performance.now() - cellStart;
  const abandon = new AbortController();
  const timer = setTimeout(() => abandon.abort(), boundMs);
  const seen: Omit<FailoverbenchCall, 'startMs' | 'ms' | 'completed' | 'abandoned'> = { text: '' };
  const end = (completed: boolean): FailoverbenchCall => ({
    startMs,
    ms: performance.now() - cellStart - startMs,
    completed,
    abandoned: abandon.signal.aborted,
    ...seen,
  });
  try {
    const stream = await client.chat.completions.create(
      {
        model: TARGET,
        messages: [{ role: 'user', content: 'Count from t01 to t60.' }],
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal: abandon.signal },
    );
    for await (const chunk of stream) seeFailoverbenchChunk(seen, chunk);
    return end(true);
  } catch (error) {
    const e = error as { status?: number; code?: string | null; message?: string };
    const message = (e.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 160);
    seen.error = { status: e.status, code: e.code, message };
    return end(false);
  } finally {
    clearTimeout(timer);
  }
}

/** Result of one cell. */
interface CellResult extends FailoverbenchScore {
  n: number;
  fault: string;
  ms: number;
  primaryRequests: number;
  fallbackRequests: number;
  calls: FailoverbenchCall[];
}

async function runCell(cell: FailoverbenchCell): Promise<CellResult> {
  const cellStart = performance.now();
  const servers = await startFailoverbenchServers(cell);
  const runtime = await createRuntime(runtimeConfig(servers.primary.url, servers.fallback.url));
  const gateway = await createGateway(runtime, { port: 0, logger: false });
  const retries = args['sdk-retries'];
  const client = new OpenAI({
    baseURL: `${gateway.url}/v1`,
    apiKey: 'unused',
    ...(retries !== undefined && { maxRetries: Number(retries) }),
  });
  try {
    const calls = await Promise.all(
      Array.from({ length: cell.requests }, async (_, i) => {
        await sleep(i * cell.spacingMs);
        return streamOnce(client, cell.boundMs, cellStart);
      }),
    );
    const observed = {
      calls,
      primaryRequests: servers.primary.requests,
      fallbackRequests: servers.fallback.requests,
    };
    return {
      n: cell.n,
      fault: cell.fault,
      ms: performance.now() - cellStart,
      ...scoreFailoverbench(cell, observed),
      ...observed,
    };
  } finally {
    await gateway.close({ timeoutMs: 0 });
    await runtime.stop({ timeoutMs: 0 });
    await servers.close();
  }
}

const results: CellResult[] = [];
for (const n of cellNumbers(args.cells)) {
  const cell = failoverbench(n, timing);
  try {
    results.push(await runCell(cell));
  } catch (error) {
    // A runtime that rejects the group config (groups not there yet) cannot be scored at all.
    console.error(`cell ${n}: could not run: ${(error as Error).message}`);
    process.exit(2);
  }
  if (!args.json) {
    const r = results.at(-1)!;
    const secs = (r.ms / 1000).toFixed(1).padStart(6);
    console.log(`${String(n).padStart(2)}  ${r.score.padEnd(4)} ${secs} s  ${r.reason}`);
  }
}

const totals = { pass: 0, safe: 0, fail: 0 };
for (const r of results) totals[r.score]++;
const mode = grouped ? 'group (fallback, resumeStreams)' : 'no group (the faulty client alone)';
if (args.json) {
  console.log(JSON.stringify({ mode, scale, totals, cells: results }, null, 2));
} else {
  console.log(`\n${mode}, scale ${scale}`);
  console.log(`pass ${totals.pass} / safe ${totals.safe} / fail ${totals.fail}`);
}
