/**
 * Heap per request in flight: `n` requests held by the upstream (`bench/upstream.ts hold`) at
 * once, the heap measured (after a full GC, `--expose-gc`) before they start and once all of
 * them have reached the upstream, then released. The connections are opened and kept by a first
 * held round that is not measured, so only the requests themselves are counted — the same for
 * raw undici (a Pool of `n` connections) and llm-actors (a client with `maxConcurrency: n`,
 * whose pool has `n` connections, on the miss path with its memory cache).
 */
import { control } from './measure.js';
import { Pool } from 'undici';
import { benchClient, rawCall } from './contenders.js';
import { createRuntime } from './runtime.js';

async function untilHeld(url: string, n: number): Promise<void> {
  for (let i = 0; i < 6_000; i++) {
    if ((await control(url, 'GET', '/held')) >= n) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`fewer than ${n} requests reached the upstream`);
}

function heapAfterGc(): number {
  const gc = globalThis.gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** One measured round of `kind` (`raw` or `runtime`): heap bytes per request in flight. */
export async function inflightRound(
  kind: string,
  url: string,
  n: number,
): Promise<{ bytesPerRequest: number; ms: number }> {
  let send: () => Promise<unknown>;
  let close: () => Promise<void>;
  if (kind === 'raw') {
    const pool = new Pool(url, { connections: n, pipelining: 1 });
    send = () => rawCall(pool);
    close = () => pool.close();
  } else if (kind === 'runtime') {
    const runtime = await createRuntime({
      clients: { bench: benchClient(url, n) },
      logger: false,
    });
    let i = 0;
    send = () =>
      runtime.request('bench', [{ role: 'user', content: `in flight ${process.pid} ${i++}` }], {
        temperature: 0,
      });
    close = () => runtime.stop();
  } else {
    throw new Error(`unknown in-flight kind ${kind}`);
  }
  const started = performance.now();
  const round = async (measured: boolean) => {
    const before = measured ? heapAfterGc() : 0;
    const calls: Promise<unknown>[] = new Array(n);
    for (let i = 0; i < n; i++) calls[i] = send();
    await untilHeld(url, n);
    const after = measured ? heapAfterGc() : 0;
    await control(url, 'POST', '/release');
    await Promise.all(calls);
    return (after - before) / n;
  };
  await round(false);
  const bytesPerRequest = await round(true);
  await close();
  return { bytesPerRequest, ms: performance.now() - started };
}
