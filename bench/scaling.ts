/**
 * The scaling checks, through the public API only: many clients in one runtime, many requests in
 * flight across them, and single-flight under a burst of identical requests. Run inside a
 * contender process (bench/worker.ts, `job:scaling`).
 */
import { control } from './measure.js';
import { createRuntime } from './runtime.js';
import type { ClientConfig } from '../src/index.js';
import { DEFAULTS } from '../src/config/defaults.js';
import { systemClock } from '../src/model/clock.js';
import { Fuse } from '../src/policy/fuse.js';

/** `fastUrl`: the loopback upstream; `slowUrl`: the one answering after 50 ms. */
export async function scalingChecks(
  fastUrl: string,
  slowUrl: string,
): Promise<Record<string, number>> {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const clients: Record<string, ClientConfig> = {};
  for (let i = 0; i < 1_000; i++) {
    clients[`c${i}`] = {
      provider: 'openai',
      baseUrl: `${slowUrl}/v1`,
      model: 'm',
      maxConcurrency: 4,
    };
  }
  const many = await createRuntime({ clients, logger: false });
  const startupMs = performance.now() - started;
  globalThis.gc?.();
  const heapPerClientKiB = (process.memoryUsage().heapUsed - heapBefore) / 1_000 / 1024;
  const flightStarted = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: 10_000 }, (_, i) =>
      many.request(`c${i % 1_000}`, [{ role: 'user', content: `in flight ${i}` }], {
        cache: false,
      }),
    ),
  );
  const inFlightAnswered = results.filter((r) => r.status === 'fulfilled').length;
  const inFlightMs = performance.now() - flightStarted;
  await many.stop();
  const one = await createRuntime({
    clients: { one: { provider: 'openai', baseUrl: `${fastUrl}/v1`, model: 'm' } },
    logger: false,
  });
  const before = await control(fastUrl, 'GET', '/count');
  await Promise.all(
    Array.from({ length: 1_000 }, () => one.request('one', [{ role: 'user', content: 'same' }])),
  );
  const upstreamCalls = (await control(fastUrl, 'GET', '/count')) - before;
  await one.stop();
  const { fuseCheckNs, fuseLetThrough } = fuseCheck();
  return {
    startupMs,
    heapPerClientKiB,
    inFlightAnswered,
    inFlightMs,
    upstreamCalls,
    fuseCheckNs,
    fuseLetThrough,
  };
}

/**
 * What a closed fuse costs each attempt: `ask()` in a loop. The fuse is internal, so it is
 * reached through its module rather than the public API.
 */
function fuseCheck(): { fuseCheckNs: number; fuseLetThrough: number } {
  const fuse = new Fuse(
    DEFAULTS.fuse,
    systemClock,
    () => {},
    () => {},
  );
  const n = 5_000_000;
  let ok = 0;
  const t = performance.now();
  for (let i = 0; i < n; i++) if (fuse.ask().ok) ok++;
  const fuseCheckNs = ((performance.now() - t) * 1e6) / n;
  fuse.stop();
  return { fuseCheckNs, fuseLetThrough: ok / n };
}
