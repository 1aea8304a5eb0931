/**
 * The gateway benchmark: the same small chat completion asked of the upstream directly, through
 * `llm-actors serve`, through a minimal proxy (the least any gateway must do: `node:http`, a
 * JSON parse, an undici pool), and through the Portkey gateway (`@portkey-ai/gateway`, its
 * custom-host header pointing at the same upstream). Each server runs in its own process; the
 * load comes from undici pools in this one, interleaved over rounds.
 *
 *   node --import tsx bench/gateway.ts proxy <upstream url> <connections>   # the proxy alone
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/**
 * The minimal proxy, run in its own process: reads and parses the body, forwards it through an
 * undici pool, writes the upstream's answer back. What a gateway cannot do without, so the
 * llm-actors gateway's cost over it is the cost of everything it adds.
 */
function serveProxy(upstreamUrl: string, connections: number): void {
  const pool = new Pool(upstreamUrl, { connections });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      pool
        .request({
          method: 'POST',
          path: '/v1/chat/completions',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
        .then(async (answer) => {
          const text = await answer.body.text();
          res.writeHead(answer.statusCode, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
          });
          res.end(text);
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    console.log((server.address() as AddressInfo).port);
  });
}

async function minimalProxy(up: Upstream, concurrency: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), 'proxy', up.url, String(concurrency)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${String(chunk).trim()}`, child };
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

const DIRECT = 'upstream directly (raw undici)';
const MISS = 'llm-actors gateway (miss)';
const PROXY = 'minimal proxy (node:http + undici)';

/** The median of `values` and their range: `median (min to max)`. */
function spread(values: number[], digits: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${median(values).toFixed(digits)} (${sorted[0]!.toFixed(digits)} to ${sorted.at(-1)!.toFixed(digits)})`;
}

/**
 * The gateway tables, one per concurrency, and the gateway's cost over the minimal proxy:
 * throughput ratio at concurrency 64, p50 added at concurrency 1. Each ratio is taken within a
 * round (the contenders of a round ran back to back) and the median over rounds reported with
 * its range, since this machine's noise (±15%) is larger than some of the differences.
 */
export async function gatewayBench(
  up: Upstream,
  dir: string,
  rounds: number,
  scale: number,
): Promise<string[]> {
  const lines: string[] = [];
  const versusProxy: string[] = [];
  for (const [concurrency, requests] of [
    [1, Math.round(1_000 * scale)],
    [64, Math.round(4_000 * scale)],
  ] as const) {
    const ours = await llmActorsGateway(up, dir, concurrency);
    const proxy = await minimalProxy(up, concurrency);
    const portkey = await portkeyGateway();
    const pools = {
      direct: new Pool(up.url, { connections: concurrency }),
      ours: new Pool(ours.url, { connections: concurrency }),
      proxy: new Pool(proxy.url, { connections: concurrency }),
      portkey: new Pool(portkey.url, { connections: concurrency }),
    };
    const portkeyHeaders = {
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${up.url}/v1`,
      authorization: 'Bearer bench',
    };
    try {
      await post(pools.ours, body('hit', 'the same prompt'));
      await post(pools.proxy, body('bench-model', 'warm up'));
      await post(pools.portkey, body('bench-model', 'warm up'), portkeyHeaders);
      const contenders: Record<string, (round: number) => (i: number) => Promise<unknown>> = {
        [DIRECT]: () => (i) => post(pools.direct, body('bench-model', `direct ${i}`)),
        [MISS]: (round) => (i) => post(pools.ours, body('miss', `round ${round} prompt ${i}`)),
        'llm-actors gateway (cache hit)': () => () =>
          post(pools.ours, body('hit', 'the same prompt')),
        [PROXY]: (round) => (i) =>
          post(pools.proxy, body('bench-model', `round ${round} proxy ${i}`)),
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
      lines.push(
        `\n### Gateways: concurrency ${concurrency}, ${requests} requests a round, median of ${rounds} rounds\n`,
        '| path | req/s (min to max) | × direct | × Portkey | p50 ms | p50 added | p99 ms |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      );
      for (const [name, list] of samples) {
        const added = name === DIRECT ? '—' : `${((p50(name) - p50(DIRECT)) * 1000).toFixed(0)} µs`;
        lines.push(
          `| ${name} | ${spread(
            list.map((s) => s.rps),
            0,
          )} | ${(rps(name) / rps(DIRECT)).toFixed(2)} | ${(rps(name) / rps('Portkey gateway')).toFixed(2)} | ${p50(name).toFixed(3)} | ${added} | ${median(list.map((s) => s.p99)).toFixed(3)} |`,
        );
      }
      const miss = samples.get(MISS)!;
      const proxied = samples.get(PROXY)!;
      if (concurrency === 64) {
        const ratios = miss.map((s, round) => s.rps / proxied[round]!.rps);
        versusProxy.push(
          `- throughput at concurrency 64, gateway miss ÷ proxy, per round: ${spread(ratios, 2)}x (target ≥ 0.85x: ${median(ratios) >= 0.85 ? 'met' : 'missed'})`,
        );
      } else {
        const added = miss.map((s, round) => (s.p50 - proxied[round]!.p50) * 1000);
        versusProxy.push(
          `- p50 added over the proxy at concurrency 1, per round: ${spread(added, 0)} µs (target ≤ +50 µs: ${median(added) <= 50 ? 'met' : 'missed'})`,
        );
      }
    } finally {
      await Promise.all(Object.values(pools).map((pool) => pool.close()));
      ours.child.kill('SIGTERM');
      proxy.child.kill('SIGTERM');
      portkey.child.kill('SIGTERM');
    }
  }
  lines.push(
    '\n### The llm-actors gateway (miss path) against the minimal proxy\n',
    ...versusProxy,
  );
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'proxy') {
  serveProxy(process.argv[3]!, Number(process.argv[4]));
}
