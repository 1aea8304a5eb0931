/**
 * CPU and allocation per request of the runtime's miss path, measured inside the runtime's
 * own process (the upstream runs in another): `process.cpuUsage()` over 20 000 requests at
 * concurrency 64 after a warm-up, and the scavenges V8 ran meanwhile. Less sensitive to a
 * busy machine than throughput, which makes it the tool for an A/B of two checkouts:
 *
 *   node --expose-gc --import tsx bench/miss-cpu.ts [--no-cache] [--group] [--stream] [--requests N]
 *
 * (`--group`: through a group whose one member is the client; `--stream`: streamed, every chunk
 * read).
 *
 * run alternately in each checkout a few times, and compare the medians.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createRuntime } from './runtime.js';

const { values: args } = parseArgs({
  options: {
    'no-cache': { type: 'boolean', default: false },
    group: { type: 'boolean', default: false },
    stream: { type: 'boolean', default: false },
    requests: { type: 'string', default: '20000' },
  },
});
const N = Number(args.requests);

const upstream = spawn(process.execPath, ['--import', 'tsx', 'bench/upstream.ts', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [line] = (await once(upstream.stdout!, 'data')) as [Buffer];
const port = Number(String(line).trim());

const runtime = await createRuntime({
  logger: false,
  clients: {
    bench: {
      provider: 'openai',
      baseUrl: `http://127.0.0.1:${port}/v1`,
      model: 'bench-model',
      apiKey: 'k',
      ...(args['no-cache'] ? { cache: false as const } : {}),
    },
  },
  ...(args.group ? { groups: { solo: { members: ['bench'] } } } : {}),
});
const target = args.group ? 'solo' : 'bench';

let asked = 0;
async function run(total: number): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      const messages = [{ role: 'user' as const, content: `question ${asked++}` }];
      if (!args.stream) {
        await runtime.request(target, messages);
        continue;
      }
      const stream = runtime.stream(target, messages);
      for await (const chunk of stream) void chunk;
      await stream.completion;
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
}

await run(5000);
let scavenges = 0;
const gcs = new PerformanceObserver((list) => (scavenges += list.getEntries().length));
gcs.observe({ entryTypes: ['gc'] });
(globalThis as { gc?: () => void }).gc?.();
const before = process.cpuUsage();
await run(N);
const cpu = process.cpuUsage(before);
await new Promise((resolve) => setTimeout(resolve, 50));
gcs.disconnect();
console.log(
  JSON.stringify({
    cache: !args['no-cache'],
    group: args.group,
    stream: args.stream,
    requests: N,
    cpuMicrosPerRequest: Number(((cpu.user + cpu.system) / N).toFixed(1)),
    gcRuns: scavenges,
  }),
);
await runtime.stop();
upstream.kill();
