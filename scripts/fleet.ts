/**
 * npm run fleet: the figures of docs/scaling.md. Starts a redis-server on a free loopback
 * port (stopped by its PID), then measures with several runtimes that share it, each on
 * Redis connections of its own (as separate processes would be):
 *   - how long a fuse melt in one runtime takes to open the fuse in the others (pub/sub);
 *   - how long a probe's success takes to close them;
 *   - upstream calls when every runtime asks the same new question at once;
 *   - shared-cache hits per second read from Redis (no in-memory front).
 *
 *   npm run fleet [-- --runtimes 4 --melts 20]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { createRuntime, type ClientConfig, type Runtime } from '../src/index.js';
import { freePort, startTestServer } from '../src/testing/index.js';

const { values: args } = parseArgs({
  options: {
    runtimes: { type: 'string', default: '4' },
    melts: { type: 'string', default: '20' },
  },
});
const RUNTIMES = Number(args.runtimes);
const MELTS = Number(args.melts);

const port = await freePort();
const redis = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  { stdio: 'ignore' },
);
const url = `redis://127.0.0.1:${port}`;
const server = await startTestServer();
const runtimes: Runtime[] = [];
const ms = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `median ${at(0.5).toFixed(1)} ms, p90 ${at(0.9).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`;
};

try {
  const client: ClientConfig = {
    provider: 'openai',
    baseUrl: server.url,
    model: 'm',
    retry: false,
    fuse: { maxFailures: 1, resetMs: 150, shared: { url } },
    cache: { store: 'redis', url, frontEntries: 0 },
  };
  for (let i = 0; i < RUNTIMES; i++) {
    runtimes.push(await createRuntime({ clients: { gpt: client }, logger: false }));
  }
  const allUp = () => runtimes.every((r) => r.health('gpt').fleet?.fuse === 'up');
  while (!allUp()) await new Promise((resolve) => setTimeout(resolve, 20));

  const [first, ...others] = runtimes as [Runtime, ...Runtime[]];
  /** Resolves with the time each other runtime's fuse reached `state`. */
  const reached = (state: 'open' | 'closed') =>
    Promise.all(
      others.map(
        (r) =>
          new Promise<number>((resolve) => {
            const off = r.on(`fuse:${state}`, () => {
              off();
              resolve(performance.now());
            });
          }),
      ),
    );
  const opens: number[] = [];
  const closes: number[] = [];
  for (let m = 0; m < MELTS; m++) {
    server.inject({ kind: 'status', status: 500 }, { times: 1 });
    const opened = reached('open');
    const melted = new Promise<number>((resolve) => {
      const off = first.on('fuse:open', () => {
        off();
        resolve(performance.now());
      });
    });
    await first
      .request('gpt', [{ role: 'user', content: `melt ${m}` }], { cache: false })
      .catch(() => {});
    const meltAt = await melted;
    for (const t of await opened) opens.push(t - meltAt);
    while (first.health('gpt').fuse.state !== 'half_open') {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const closed = reached('closed');
    const probeAt = performance.now();
    await first.request('gpt', [{ role: 'user', content: `probe ${m}` }], { cache: false });
    for (const t of await closed) closes.push(t - probeAt);
  }

  const before = server.requests;
  server.inject({ kind: 'latency', ms: 100 }, { times: 1 });
  const answers = await Promise.all(
    runtimes.map((r) => r.request('gpt', [{ role: 'user', content: 'asked by all at once' }])),
  );
  const calls = server.requests - before;

  const hitRuntime = runtimes[1]!;
  const same = [{ role: 'user' as const, content: 'asked by all at once' }];
  const n = 5_000;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next++ < n) await hitRuntime.request('gpt', same);
    }),
  );
  const hitsPerSecond = (n / (performance.now() - started)) * 1000;

  console.log(
    `Node ${process.version}, ${RUNTIMES} runtimes sharing one redis-server, ${MELTS} melts\n`,
  );
  console.log('| measure | result |');
  console.log('| --- | --- |');
  console.log(`| melt in one runtime -> fuse open in each other one | ${ms(opens)} |`);
  console.log(`| probe success in one -> fuse closed in each other one | ${ms(closes)} |`);
  console.log(
    `| the same new question from ${RUNTIMES} runtimes at once | ${calls} upstream call(s); ${answers.filter((a) => a.cacheHit).length} answered from the shared cache |`,
  );
  console.log(
    `| shared-cache hits read from Redis (no front), 32 at a time | ${hitsPerSecond.toFixed(0)}/s |`,
  );
} finally {
  await Promise.all(runtimes.map((r) => r.stop({ timeoutMs: 1_000 })));
  await server.close();
  const exited = once(redis, 'exit');
  redis.kill('SIGTERM');
  await exited;
}
