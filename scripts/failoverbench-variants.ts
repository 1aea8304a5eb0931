/**
 * failoverbench's sixteen cells in the variants a third party may run beside the published one
 * (scripts/failoverbench.ts: streamed OpenAI chat completions, a group of two, one call at a
 * time). docs/failoverbench.md ("Variants") has the scorecards.
 *
 *   --api chat|responses     Chat Completions (default) or `POST /v1/responses`
 *   --plain                  `stream: false`; the testing server skips its stream-only faults
 *                            then (cells 7-11 and 14 answer healthily) unless
 *   --map-plain              gives them a non-streamed form: the answer 20 s late (7), its body
 *                            cut half-way (8, 14), silent for 30 s after 200 bytes (9), not JSON (10)
 *   --primary FORMAT         the faulty member's wire format: openai (default), anthropic, ollama
 *   --fallback FORMAT        the healthy member's; cells 12 and 13 refuse in the primary's words
 *   --concurrency N          N calls at once for each call of a cell (cell 15: N every 4 s)
 *   --members 3              a second faulty member (same faults) between primary and fallback
 *   --scale F                multiplies the bench's durations AND the runtime's (time limits,
 *                            fuse window and reset, timeouts); below ~0.3 a loaded machine can
 *                            miss the 1-3 s limits under concurrency, so score those at scale 1
 *   --cells, --sdk-retries, --json   as in scripts/failoverbench.ts
 *
 * Each cell goes through the gateway of `llm-actors serve` (createGateway) over a runtime with
 * the recommended settings of docs/failoverbench.md, with the official `openai` client, and is
 * scored by `scoreFailoverbench` (cell 13: one upstream request per call). After each cell every
 * client's in-flight and queued requests must be back to 0 and every group call ended ("BUSY"
 * otherwise); the heap is reported before and after the run (`--expose-gc` makes it exact).
 *
 *   node --expose-gc --import tsx scripts/failoverbench-variants.ts --plain --map-plain
 *   node --import tsx scripts/failoverbench-variants.ts --api responses --concurrency 20
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { createGateway } from '../src/gateway/index.js';
import { createRuntime, type Runtime } from '../src/index.js';
import {
  FAILOVERBENCH_MODELS,
  FAILOVERBENCH_TIMING,
  failoverbench,
  scoreFailoverbench,
  seeFailoverbenchChunk,
  startTestServer,
  type FailoverbenchCall,
  type FailoverbenchCell,
  type FailoverbenchServer,
  type FailoverbenchTiming,
  type TestChatFormat,
  type TestFault,
  type TestServer,
} from '../src/testing/index.js';

const { values: args } = parseArgs({
  options: {
    api: { type: 'string', default: 'chat' },
    plain: { type: 'boolean', default: false },
    'map-plain': { type: 'boolean', default: false },
    primary: { type: 'string', default: 'openai' },
    fallback: { type: 'string', default: 'openai' },
    concurrency: { type: 'string', default: '1' },
    members: { type: 'string', default: '2' },
    scale: { type: 'string', default: '1' },
    cells: { type: 'string', default: '1-16' },
    'sdk-retries': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

function choice<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (allowed.includes(value as T)) return value as T;
  throw new RangeError(`--${name} must be one of ${allowed.join(', ')}, got ${value}`);
}
function positive(name: string, value: string): number {
  const n = Number(value);
  if (n > 0) return n;
  throw new RangeError(`--${name} must be a positive number, got ${value}`);
}

const FORMATS = ['openai', 'anthropic', 'ollama'] as const;
const api = choice('api', args.api, ['chat', 'responses'] as const);
const stream = !args.plain;
const primaryFormat = choice('primary', args.primary, FORMATS);
const fallbackFormat = choice('fallback', args.fallback, FORMATS);
const concurrency = Math.round(positive('concurrency', args.concurrency));
const three = choice('members', args.members, ['2', '3'] as const) === '3';
const scale = positive('scale', args.scale);

const scaled = (ms: number) => Math.max(1, Math.round(ms * scale));
const timing = Object.fromEntries(
  Object.entries(FAILOVERBENCH_TIMING).map(([key, ms]) => [key, ms * scale]),
) as unknown as FailoverbenchTiming;

const anthropicError = (message: string) =>
  JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } });

/** Cells 12 and 13 in each provider's own words (the cells' bodies are OpenAI's). */
const REFUSALS: Record<Exclude<TestChatFormat, 'openai'>, { 12: string; 13: string }> = {
  anthropic: {
    12: anthropicError('prompt is too long: 208000 tokens > 200000 maximum'),
    13: anthropicError('Output blocked by content filtering policy'),
  },
  ollama: {
    12: JSON.stringify({ error: 'the input length exceeds the context length' }),
    13: JSON.stringify({ error: 'the request was refused by the content policy' }),
  },
};

/** The non-streamed form of a stream-only fault (`--map-plain`); other faults as they are. */
function plainFault(fault: TestFault): TestFault {
  switch (fault.kind) {
    case 'slow_first_token':
      return { kind: 'latency', ms: fault.ms };
    case 'stream_cut':
      return { kind: 'truncated' };
    case 'stream_stall':
      return { kind: 'trickle', chunkDelayMs: fault.ms, chunkBytes: 200 };
    case 'bad_event':
      return { kind: 'malformed' };
    default:
      return fault;
  }
}

/** Starts one server of a cell, its faults in the variant's form and `wire`'s words. */
async function startServer(
  setup: FailoverbenchServer,
  n: number,
  wire: TestChatFormat,
  model: string,
): Promise<TestServer> {
  const server = await startTestServer({ ...setup.options, model });
  for (const { fault, ...when } of setup.rules) {
    let form = !stream && args['map-plain'] ? plainFault(fault) : fault;
    if (form.kind === 'status' && wire !== 'openai' && (n === 12 || n === 13)) {
      form = { ...form, body: REFUSALS[wire][n] };
    }
    server.inject(form, when);
  }
  return server;
}

/** A client of `server` with the recommended settings, every duration scaled. */
const clientOf = (server: TestServer, wire: TestChatFormat, model: string) => ({
  provider: wire,
  baseUrl: wire === 'openai' ? server.url : server.origin,
  model,
  apiKey: 'failoverbench',
  cache: false as const,
  timeoutMs: scaled(30_000),
  firstTokenTimeoutMs: scaled(10_000),
  idleTimeoutMs: scaled(10_000),
  fuse: { maxFailures: 3, windowMs: scaled(30_000), resetMs: scaled(10_000) },
});

const PROMPT = 'Count from t01 to t60.';

/** A chat completion, streamed or not, as the scorer reads it. */
async function chatCall(sdk: OpenAI, signal: AbortSignal, seen: FailoverbenchCall) {
  const messages = [{ role: 'user' as const, content: PROMPT }];
  if (stream) {
    const chunks = await sdk.chat.completions.create(
      { model: 'bench', messages, stream: true, stream_options: { include_usage: true } },
      { signal },
    );
    for await (const chunk of chunks) seeFailoverbenchChunk(seen, chunk);
  } else {
    const answer = await sdk.chat.completions.create({ model: 'bench', messages }, { signal });
    const choices = answer.choices.map((c) => ({
      delta: { content: c.message.content },
      finish_reason: c.finish_reason,
    }));
    seeFailoverbenchChunk(seen, { model: answer.model, choices, usage: answer.usage });
  }
  seen.completed = true;
}

type ResponsesUsage = { input_tokens: number; output_tokens: number; total_tokens: number };
const usageOf = (u: ResponsesUsage | null | undefined) =>
  u
    ? {
        prompt_tokens: u.input_tokens,
        completion_tokens: u.output_tokens,
        total_tokens: u.total_tokens,
      }
    : undefined;

/**
 * A Response, streamed or not: complete only when `completed`. A stream's `error` and
 * `response.failed` events are the error the caller sees (the SDK yields them, it does not
 * throw); a stream that ends with neither counts as complete, and fails the cell if it is short.
 */
async function responsesCall(sdk: OpenAI, signal: AbortSignal, seen: FailoverbenchCall) {
  if (!stream) {
    const response = await sdk.responses.create({ model: 'bench', input: PROMPT }, { signal });
    Object.assign(seen, { text: response.output_text, model: response.model });
    seen.usage = usageOf(response.usage);
    seen.completed = response.status === 'completed';
    if (!seen.completed) seen.error = { message: `a Response ${response.status}` };
    return;
  }
  const events = await sdk.responses.create(
    { model: 'bench', input: PROMPT, stream: true },
    { signal },
  );
  for await (const event of events) {
    if (event.type === 'response.output_text.delta') seen.text += event.delta;
    else if (event.type === 'response.completed') {
      Object.assign(seen, { model: event.response.model, finishReason: 'stop' });
      seen.usage = usageOf(event.response.usage);
    } else if (event.type === 'error') seen.error = { code: event.code, message: event.message };
    else if (event.type === 'response.failed' || event.type === 'response.incomplete') {
      seen.error ??= { message: event.type };
    }
  }
  seen.completed = seen.error === undefined;
}

/** One call, abandoned at `boundMs`. */
async function callOnce(sdk: OpenAI, boundMs: number, startMs: number): Promise<FailoverbenchCall> {
  const started = performance.now();
  const abandon = AbortSignal.timeout(boundMs);
  const seen: FailoverbenchCall = { startMs, ms: 0, text: '', completed: false, abandoned: false };
  try {
    await (api === 'chat' ? chatCall : responsesCall)(sdk, abandon, seen);
  } catch (error) {
    const e = error as { status?: number; code?: string | null; message?: string };
    const message = (e.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 160);
    Object.assign(seen, { completed: false, error: { status: e.status, code: e.code, message } });
  }
  seen.abandoned = abandon.aborted;
  seen.ms = performance.now() - started;
  return seen;
}

/** What is still under way after a cell: upstream requests, queued ones, group calls. */
function stillBusy(runtime: Runtime): string[] {
  const busy: string[] = [];
  for (const [name, h] of Object.entries(runtime.health())) {
    const r = h.requests;
    if (h.kind === 'group' && r.total !== r.succeeded + r.failed) {
      busy.push(`${name}: ${r.total - r.succeeded - r.failed} calls open`);
    } else if (h.kind === 'client' && (h.requests.inFlight || h.requests.queued)) {
      busy.push(`${name}: ${h.requests.inFlight} in flight, ${h.requests.queued} queued`);
    }
  }
  return busy;
}

async function runCell(cell: FailoverbenchCell) {
  const cellStart = performance.now();
  const { primary: primaryModel, fallback: fallbackModel } = FAILOVERBENCH_MODELS;
  const servers = {
    primary: await startServer(cell.primary, cell.n, primaryFormat, primaryModel),
    ...(three && {
      second: await startServer(cell.primary, cell.n, primaryFormat, 'second-model'),
    }),
    fallback: await startServer(cell.fallback, cell.n, fallbackFormat, fallbackModel),
  };
  const clients = Object.fromEntries(
    Object.entries(servers).map(([name, server]) => {
      const wire = name === 'fallback' ? fallbackFormat : primaryFormat;
      return [name, clientOf(server, wire, `${name}-model`)];
    }),
  );
  const runtime = await createRuntime({
    logger: false,
    clients,
    groups: {
      bench: {
        members: Object.keys(clients),
        strategy: 'fallback',
        resumeStreams: true,
        onContextOverflow: ['fallback'],
        timeoutMs: scaled(60_000),
      },
    },
  });
  const gateway = await createGateway(runtime, { port: 0, logger: false });
  const retries = args['sdk-retries'];
  const sdk = new OpenAI({
    baseURL: `${gateway.url}/v1`,
    apiKey: 'unused',
    ...(retries !== undefined && { maxRetries: Number(retries) }),
  });
  try {
    const rounds = await Promise.all(
      Array.from({ length: cell.requests }, async (_, i) => {
        await sleep(i * cell.spacingMs);
        const startMs = performance.now() - cellStart;
        const calls = Array.from({ length: concurrency }, () =>
          callOnce(sdk, cell.boundMs, startMs),
        );
        return Promise.all(calls);
      }),
    );
    const calls = rounds.flat();
    const requests = Object.values(servers).map((s) => s.requests);
    const faulty = requests.slice(0, -1).reduce((a, b) => a + b, 0);
    // Cell 13 passes on one upstream request per call: scored as one call's.
    const once = cell.n === 13 && faulty + requests.at(-1)! === calls.length;
    const score = scoreFailoverbench(cell, {
      calls,
      primaryRequests: once ? 1 : faulty,
      fallbackRequests: once ? 0 : requests.at(-1)!,
    });
    // Cancelled upstream requests settle a tick after the calls they belonged to.
    await sleep(50);
    return {
      n: cell.n,
      ...score,
      slowestMs: Math.round(Math.max(...calls.map((c) => c.ms))),
      requests,
      busy: stillBusy(runtime),
      // Who answered each call of each round: p(rimary), s(econd), f(allback), E(rror).
      served: rounds.map((r) => r.map((c) => (c.completed ? (c.model ?? '?')[0] : 'E')).join('')),
    };
  } finally {
    await gateway.close({ timeoutMs: 0 });
    await runtime.stop({ timeoutMs: 0 });
    await Promise.all(Object.values(servers).map((s) => s.close()));
  }
}

function cellNumbers(spec: string): number[] {
  return spec.split(',').flatMap((part) => {
    const [from, to = from] = part.split('-').map(Number) as [number, number?];
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

const heapMb = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round(process.memoryUsage().heapUsed / 1e6);
};

const variant =
  `${api} ${stream ? 'stream' : 'plain'}${args['map-plain'] ? ' (mapped)' : ''}, ` +
  `${primaryFormat} -> ${fallbackFormat}, ${three ? 3 : 2} members, ` +
  `concurrency ${concurrency}, scale ${scale}`;
const totals = { pass: 0, safe: 0, fail: 0 };
const heapBefore = heapMb();
const results = [];
for (const n of cellNumbers(args.cells)) {
  const r = await runCell(failoverbench(n, timing));
  totals[r.score]++;
  results.push(r);
  if (!args.json) {
    const secs = (r.slowestMs / 1000).toFixed(1).padStart(5);
    const busy = r.busy.length > 0 ? `  BUSY: ${r.busy.join(', ')}` : '';
    const line = `${String(n).padStart(2)}  ${r.score.padEnd(4)} ${secs} s  [${r.requests.join('/')}]`;
    console.log(`${line}  ${r.reason}${busy}`);
  }
}
const heap = { beforeMb: heapBefore, afterMb: heapMb() };
if (args.json) {
  console.log(JSON.stringify({ variant, totals, heap, cells: results }, null, 2));
} else {
  console.log(`\n${variant}: pass ${totals.pass} / safe ${totals.safe} / fail ${totals.fail}`);
  console.log(`heap ${heap.beforeMb} MB before, ${heap.afterMb} MB after`);
}
