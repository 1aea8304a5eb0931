/**
 * What a request in flight keeps on the heap, by kind of object: `n` requests held by the
 * upstream (`bench/upstream.ts hold`) over warm connections, a heap snapshot idle and one with
 * all of them in flight, and the difference per request grouped by V8 node type and name
 * (closures, contexts, promises, generators, strings…). The detail behind the in-flight figure
 * of `npm run bench -- --only memory`.
 *
 *   node --expose-gc --import tsx bench/inflight-heap.ts runtime|raw [n]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { Pool } from 'undici';
import { benchClient, rawCall } from './contenders.js';
import { control, upstream } from './measure.js';
import { createRuntime } from './runtime.js';

const kind = process.argv[2] ?? 'runtime';
const n = Number(process.argv[3] ?? 2_000);
const gc = globalThis.gc;
if (!gc) throw new Error('run with --expose-gc');
const dir = mkdtempSync(join(tmpdir(), 'llma-heap-'));
const up = await upstream('hold');

let send: () => Promise<unknown>;
if (kind === 'raw') {
  const pool = new Pool(up.url, { connections: n, pipelining: 1 });
  send = () => rawCall(pool);
} else {
  const runtime = await createRuntime({ clients: { b: benchClient(up.url, n) }, logger: false });
  let i = 0;
  send = () => runtime.request('b', [{ role: 'user', content: `p ${i++}` }], { temperature: 0 });
}

/** One held round; with `snapshot`, a snapshot is written while all `n` are in flight. */
async function round(snapshot?: string): Promise<void> {
  const calls = Array.from({ length: n }, () => send());
  while ((await control(up.url, 'GET', '/held')) < n) await new Promise((r) => setTimeout(r, 10));
  if (snapshot) {
    gc!();
    gc!();
    writeHeapSnapshot(snapshot);
  }
  await control(up.url, 'POST', '/release');
  await Promise.all(calls);
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Objects and bytes (self size) by `type:name`. */
function summary(file: string): Map<string, [number, number]> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const out = new Map<string, [number, number]>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]!]!;
    let name = s.strings[s.nodes[i + iName]!]!;
    if (type.includes('string') || type === 'code' || type === 'hidden') name = '';
    const key = `${type}:${name.slice(0, 60)}`;
    const entry = out.get(key) ?? [0, 0];
    entry[0]++;
    entry[1] += s.nodes[i + iSize]!;
    out.set(key, entry);
  }
  return out;
}

try {
  await round();
  gc();
  gc();
  writeHeapSnapshot(join(dir, 'idle.heapsnapshot'));
  await round(join(dir, 'busy.heapsnapshot'));
  const idle = summary(join(dir, 'idle.heapsnapshot'));
  const busy = summary(join(dir, 'busy.heapsnapshot'));
  const rows = [...new Set([...idle.keys(), ...busy.keys()])]
    .map((k) => {
      const [c0, b0] = idle.get(k) ?? [0, 0];
      const [c1, b1] = busy.get(k) ?? [0, 0];
      return [k, (c1 - c0) / n, (b1 - b0) / n] as const;
    })
    .sort((a, b) => b[2] - a[2]);
  const total = rows.reduce((sum, r) => sum + r[2], 0);
  console.log(`${kind}: ${total.toFixed(0)} bytes (self sizes) per request in flight, ${n} held`);
  console.log('| type:name | objects per request | bytes per request |');
  console.log('| --- | ---: | ---: |');
  for (const [k, count, bytes] of rows.filter((r) => Math.abs(r[2]) >= 8).slice(0, 30)) {
    console.log(`| ${k} | ${count.toFixed(2)} | ${bytes.toFixed(0)} |`);
  }
} finally {
  up.child.kill();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
