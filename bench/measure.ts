/**
 * What the benchmarks share: the upstream in its own process, and the measuring loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** The benchmark upstream, in its own process. */
export interface Upstream {
  url: string;
  child: ChildProcess;
  count(): Promise<number>;
}

/** Starts `bench/upstream.ts` answering after `delayMs`. */
export async function upstream(delayMs: number): Promise<Upstream> {
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
  p50: number;
  p99: number;
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
