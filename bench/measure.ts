/**
 * What the benchmarks share: the upstream in its own process, the measuring loop, the contender
 * processes and the statistics of their rounds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';

/** The benchmark upstream, in its own process. */
export interface Upstream {
  url: string;
  child: ChildProcess;
  count(): Promise<number>;
}

/** Starts `bench/upstream.ts` answering after `delayMs`, or holding every request (`'hold'`). */
export async function upstream(delayMs: number | 'hold'): Promise<Upstream> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./upstream.ts', import.meta.url).pathname, String(delayMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  const url = `http://127.0.0.1:${String(chunk).trim()}`;
  return { url, child, count: async () => Number(await (await fetch(`${url}/count`)).text()) };
}

/** One measured run. */
export interface Sample {
  rps: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  /** CPU of the measuring process (user + system) per call, µs. */
  cpuUs: number;
}

/** `n` calls of `fn`, `concurrency` at a time: throughput, latency percentiles, CPU per call. */
export async function measure(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<Sample> {
  const latencies = new Float64Array(n);
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) {
        const t = performance.now();
        await fn(i);
        latencies[i] = performance.now() - t;
      }
    }),
  );
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  latencies.sort();
  return {
    rps: (n / elapsed) * 1000,
    p50: latencies[Math.floor(n * 0.5)]!,
    p99: latencies[Math.floor(n * 0.99)]!,
    cpuUs: (used.user + used.system) / n,
  };
}

/** The median of a list of numbers. */
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** A median with the spread of the values it came from. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Median, minimum and maximum of a list of numbers. */
export function spread(values: number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** `12.3 [11.0–13.9]`: a median and its range, `digits` after the point. */
export function showSpread(s: Spread, digits: number, unit = ''): string {
  const f = (v: number) => v.toFixed(digits);
  return `${f(s.median)}${unit} [${f(s.min)}–${f(s.max)}]`;
}

/** What a contender process is asked to set up (see bench/worker.ts). */
export interface WorkerSetup {
  /**
   * Which contender (a key of `contenders` in bench/contenders.ts), `inflight:<kind>` or
   * `job:scaling`.
   */
  contender: string;
  url: string;
  /** The 50 ms upstream, for `job:scaling`. */
  slowUrl?: string;
  concurrency: number;
  /** Calls made once, unmeasured, before the first round. */
  warmup: number;
}

/** A contender in its own process: `run(n)` measures `n` calls there. */
export interface Worker {
  name: string;
  run(n: number): Promise<Sample & Record<string, number>>;
  close(): Promise<void>;
}

type Reply = { ok: true; value: Sample & Record<string, number> } | { ok: false; error: string };

/**
 * Starts `bench/worker.ts` in a process of its own (with `--expose-gc`, and any `nodeArgs` such
 * as `--cpu-prof`), sets the contender up and warms it; resolves when it is ready.
 */
export async function startWorker(
  name: string,
  setup: WorkerSetup,
  nodeArgs: string[] = [],
): Promise<Worker> {
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      ...nodeArgs,
      '--import',
      'tsx',
      new URL('./worker.ts', import.meta.url).pathname,
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${name}: the contender process exited (${String(code)})`);
  });
  exited.catch(() => undefined);
  const ask = async (message: unknown) => {
    child.send(message as object);
    const [reply] = (await Promise.race([once(child, 'message'), exited])) as [Reply];
    if (!reply.ok) throw new Error(`${name}: ${reply.error}`);
    return reply.value;
  };
  await ask({ type: 'setup', setup });
  return {
    name,
    run: (n) => ask({ type: 'run', n }),
    close: async () => {
      if (child.exitCode !== null) return;
      const gone = once(child, 'exit');
      child.send({ type: 'close' });
      await gone;
    },
  };
}

/**
 * A number from the bench upstream's control endpoints (`/count`, `/held`, `/release`), over
 * node:http so that no undici state of a contender is touched.
 */
export function control(url: string, method: 'GET' | 'POST', path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => (data += part));
      res.on('end', () => resolve(Number(data)));
    });
    req.on('error', reject);
    req.end();
  });
}
