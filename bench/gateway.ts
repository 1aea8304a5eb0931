/**
 * The gateway benchmark: the same small chat completion asked of the upstream directly, through
 * `llm-actors serve`, and through the Portkey gateway (`@portkey-ai/gateway`, its custom-host
 * header pointing at the same upstream). Each server runs in its own process; the load comes
 * from undici pools in this one, interleaved over rounds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Pool } from 'undici';
import { measure, median, type Sample, type Upstream } from './measure.js';
import { freePort } from '../src/testing/index.js';

const root = new URL('..', import.meta.url).pathname;

/** Polls `url` until it answers at all (any status). */
async function reachable(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited (${child.exitCode})`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

async function llmActorsGateway(up: Upstream, dir: string, concurrency: number) {
  const config = join(dir, 'gateway.yaml');
  const client = `{ provider: openai, baseUrl: "${up.url}/v1", model: bench-model, maxConcurrency: ${concurrency}, maxQueue: 100000 }`;
  writeFileSync(
    config,
    `logger: { level: silent }\nclients:\n  miss: ${client.replace('}', ', cache: false }')}\n  hit: ${client}\n`,
  );
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'src/cli.ts'),
      'serve',
      '--config',
      config,
      '--port',
      String(port),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  await reachable(`${url}/livez`, child);
  return { url, child };
}

async function portkeyGateway() {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@portkey-ai/gateway/package.json');
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(pkg, '..', 'build', 'start-server.js'), `--port=${port}`, '--headless'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  await reachable(url, child);
  return { url, child };
}

function body(model: string, content: string): string {
  return JSON.stringify({ model, messages: [{ role: 'user', content }], temperature: 0 });
}

async function post(pool: Pool, payload: string, headers: Record<string, string> = {}) {
  const res = await pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', ...headers },
    body: payload,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}

/** The gateway tables: one per concurrency. */
export async function gatewayBench(
  up: Upstream,
  dir: string,
  rounds: number,
  scale: number,
): Promise<string[]> {
  const lines: string[] = [];
  for (const [concurrency, requests] of [
    [1, Math.round(1_000 * scale)],
    [64, Math.round(4_000 * scale)],
  ] as const) {
    const ours = await llmActorsGateway(up, dir, concurrency);
    const portkey = await portkeyGateway();
    const pools = {
      direct: new Pool(up.url, { connections: concurrency }),
      ours: new Pool(ours.url, { connections: concurrency }),
      portkey: new Pool(portkey.url, { connections: concurrency }),
    };
    const portkeyHeaders = {
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${up.url}/v1`,
      authorization: 'Bearer bench',
    };
    try {
      await post(pools.ours, body('hit', 'the same prompt'));
      await post(pools.portkey, body('bench-model', 'warm up'), portkeyHeaders);
      const contenders: Record<string, (round: number) => (i: number) => Promise<unknown>> = {
        'upstream directly (raw undici)': () => (i) =>
          post(pools.direct, body('bench-model', `direct ${i}`)),
        'llm-actors gateway (miss)': (round) => (i) =>
          post(pools.ours, body('miss', `round ${round} prompt ${i}`)),
        'llm-actors gateway (cache hit)': () => () =>
          post(pools.ours, body('hit', 'the same prompt')),
        'Portkey gateway': () => (i) =>
          post(pools.portkey, body('bench-model', `portkey ${i}`), portkeyHeaders),
      };
      const samples = new Map<string, Sample[]>(Object.keys(contenders).map((k) => [k, []]));
      for (let round = 0; round < rounds; round++) {
        for (const [name, make] of Object.entries(contenders)) {
          samples.get(name)!.push(await measure(requests, concurrency, make(round)));
        }
      }
      const rps = (name: string) => median(samples.get(name)!.map((s) => s.rps));
      const p50 = (name: string) => median(samples.get(name)!.map((s) => s.p50));
      const direct = 'upstream directly (raw undici)';
      lines.push(
        `\n### Gateways: concurrency ${concurrency}, ${requests} requests a round, median of ${rounds} rounds\n`,
        '| path | req/s | × direct | × Portkey | p50 ms | p50 added | p99 ms |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      );
      for (const [name, list] of samples) {
        const added = name === direct ? '—' : `${((p50(name) - p50(direct)) * 1000).toFixed(0)} µs`;
        lines.push(
          `| ${name} | ${rps(name).toFixed(0)} | ${(rps(name) / rps(direct)).toFixed(2)} | ${(rps(name) / rps('Portkey gateway')).toFixed(2)} | ${p50(name).toFixed(3)} | ${added} | ${median(list.map((s) => s.p99)).toFixed(3)} |`,
        );
      }
    } finally {
      await Promise.all(Object.values(pools).map((pool) => pool.close()));
      ours.child.kill('SIGTERM');
      portkey.child.kill('SIGTERM');
    }
  }
  return lines;
}
