/**
 * Upstreams that never stop sending, against one client with its default limits: how much memory
 * the process holds while `--concurrency` requests at a time read from an upstream (in another
 * process) that sends forever, and how each request ends. The figures in docs/reliability.md
 * ("Limits") come from this script.
 *
 *   node --expose-gc --import tsx scripts/hostile-upstream.ts
 *   node --expose-gc --import tsx scripts/hostile-upstream.ts --concurrency 64 --rounds 3 --json
 */
import { fork } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createRuntime, isLlmActorsError } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});

const PIECE = 'a'.repeat(64 * 1024);
const DELTA = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: PIECE } }] })}\n\n`;

/** What each path of the upstream sends, forever: [status, content type, head, repeated piece]. */
const MODES: Record<string, [number, string, string, string]> = {
  'endless 200 body': [200, 'application/json', '{"choices":[{"message":{"content":"', PIECE],
  'endless 500 body': [500, 'application/json', '{"error":{"message":"', PIECE],
  'endless SSE line': [200, 'text/event-stream', 'data: {"choices":[{"delta":{"content":"', PIECE],
  'endless SSE deltas': [200, 'text/event-stream', '', DELTA],
  'endless NDJSON line': [200, 'application/x-ndjson', '{"message":{"content":"', PIECE],
};

async function send(
  res: ServerResponse,
  [status, type, head, piece]: [number, string, string, string],
) {
  res.writeHead(status, { 'content-type': type });
  res.write(head);
  const closed = new Promise((resolve) => res.once('close', resolve));
  while (!res.destroyed) {
    if (!res.write(piece)) {
      await Promise.race([new Promise((resolve) => res.once('drain', resolve)), closed]);
    }
  }
}

if (args.serve) {
  const server = createServer((req, res) => {
    const mode = MODES[decodeURIComponent(req.url!.split('/')[1]!)]!;
    req.resume().on('end', () => void send(res, mode));
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port));
} else {
  const child = fork(process.argv[1]!, ['--serve'], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (p) => resolve(p as number)),
  );
  const concurrency = Number(args.concurrency);
  const MiB = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  let peak = { rss: before.rss, heap: before.heapUsed + before.arrayBuffers };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = {
      rss: Math.max(peak.rss, m.rss),
      heap: Math.max(peak.heap, m.heapUsed + m.arrayBuffers),
    };
  }, 10);
  const results: Record<
    string,
    { codes: Record<string, number>; msMax: number; peakMiB: number; example: string }
  > = {};
  for (const mode of Object.keys(MODES)) {
    gc?.();
    const base = process.memoryUsage();
    peak.heap = base.heapUsed + base.arrayBuffers;
    const ollama = mode.includes('NDJSON');
    const runtime = await createRuntime({
      logger: false,
      clients: {
        c: {
          provider: ollama ? 'ollama' : 'openai',
          baseUrl: `http://127.0.0.1:${port}/${encodeURIComponent(mode)}`,
          model: 'm',
          cache: false,
          timeoutMs: 60_000,
          fuse: { maxFailures: 1_000_000 },
        },
      },
    });
    const result = (results[mode] = {
      codes: {} as Record<string, number>,
      msMax: 0,
      peakMiB: 0,
      example: '',
    });
    for (let round = 0; round < Number(args.rounds); round++) {
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          const started = performance.now();
          const messages = [{ role: 'user' as const, content: 'hi' }];
          try {
            if (mode.includes('SSE') || ollama) await runtime.stream('c', messages).completion;
            else await runtime.request('c', messages);
            result.codes.OK = (result.codes.OK ?? 0) + 1;
          } catch (e) {
            const code = isLlmActorsError(e) ? e.code : 'UNTYPED';
            result.codes[code] = (result.codes[code] ?? 0) + 1;
            result.example = (e as Error).message;
          }
          result.msMax = Math.max(result.msMax, Math.round(performance.now() - started));
        }),
      );
    }
    await runtime.stop();
    result.peakMiB = MiB(peak.heap - (base.heapUsed + base.arrayBuffers));
  }
  clearInterval(sampler);
  child.kill();
  const report = {
    concurrency,
    rounds: Number(args.rounds),
    before: {
      rssMiB: MiB(before.rss),
      heapAndBuffersMiB: MiB(before.heapUsed + before.arrayBuffers),
    },
    peak: { rssMiB: MiB(peak.rss), heapAndBuffersMiB: MiB(peak.heap) },
    results,
  };
  if (args.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(
      `${concurrency} requests at a time, ${args.rounds} rounds per mode, default limits`,
    );
    for (const [mode, r] of Object.entries(results)) {
      console.log(
        `  ${mode.padEnd(20)} ${JSON.stringify(r.codes)} slowest ${r.msMax} ms, peak +${r.peakMiB} MiB heap+buffers — ${r.example}`,
      );
    }
    console.log(
      `  RSS ${report.before.rssMiB} -> peak ${report.peak.rssMiB} MiB; heap+buffers ${report.before.heapAndBuffersMiB} -> peak ${report.peak.heapAndBuffersMiB} MiB`,
    );
  }
}
