/**
 * One contender in a process of its own, driven by bench/run.ts over IPC: `setup` builds it and
 * makes the warm-up calls; each `run` is one measured round (`n` calls, after a full GC); `close`
 * stops it and exits. An `inflight:<kind>` contender measures heap per request in flight instead
 * (bench/inflight.ts), `n` being how many; `job:scaling` runs the scaling checks (bench/scaling.ts,
 * `url` being the loopback upstream's and `slowUrl` the 50 ms one's).
 *
 * With `BENCH_PROFILE_DIR` set, the measured rounds alone — not the start-up, the module loading
 * or the warm-up — are CPU-profiled (sampling every 100 µs), written at `close` to
 * `<dir>/<contender>-c<concurrency>.cpuprofile`, with how many calls it covers beside it
 * (`.requests`) for bench/cpuprofile.ts.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { contenders, type Ready } from './contenders.js';
import { inflightRound } from './inflight.js';
import { measure, type WorkerSetup } from './measure.js';
import { scalingChecks } from './scaling.js';

type Message =
  { type: 'setup'; setup: WorkerSetup } | { type: 'run'; n: number } | { type: 'close' };

let setup: WorkerSetup | undefined;
let ready: Ready | undefined;
const profileDir = process.env.BENCH_PROFILE_DIR;
let profiler: Session | undefined;
let measured = 0;

async function startProfile(): Promise<void> {
  profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
  await profiler.post('Profiler.start');
}

async function writeProfile(): Promise<void> {
  if (!profiler || !setup) return;
  const { profile } = await profiler.post('Profiler.stop');
  const name = join(profileDir!, `${setup.contender}-c${setup.concurrency}`);
  writeFileSync(`${name}.cpuprofile`, JSON.stringify(profile));
  writeFileSync(`${name}.requests`, String(measured));
  profiler.disconnect();
}

async function handle(message: Message): Promise<unknown> {
  switch (message.type) {
    case 'setup': {
      setup = message.setup;
      if (setup.contender.includes(':')) return {};
      const make = contenders[setup.contender];
      if (!make) throw new Error(`unknown contender ${setup.contender}`);
      ready = await make(setup.url, setup.concurrency);
      if (setup.warmup > 0) await measure(setup.warmup, setup.concurrency, ready.call);
      if (profileDir) await startProfile();
      return {};
    }
    case 'run': {
      if (!setup) throw new Error('not set up');
      if (setup.contender.startsWith('inflight:')) {
        return inflightRound(setup.contender.slice('inflight:'.length), setup.url, message.n);
      }
      if (setup.contender === 'job:scaling') return scalingChecks(setup.url, setup.slowUrl!);
      globalThis.gc?.();
      measured += message.n;
      return measure(message.n, setup.concurrency, ready!.call);
    }
    case 'close':
      await writeProfile();
      await ready?.close();
      process.disconnect?.();
      process.exit(0);
  }
}

process.on('message', (message: Message) => {
  handle(message).then(
    (value) => process.send!({ ok: true, value }),
    (error: unknown) =>
      process.send!({ ok: false, error: error instanceof Error ? error.stack : String(error) }),
  );
});
