/**
 * Where the CPU of a `.cpuprofile` (node --cpu-prof, or `npm run bench -- --cpu-prof DIR`) goes:
 * self time grouped (GC, hashing and cache key, LRU, promises and microtasks, timers, undici,
 * sockets, JSON, our own code by file…), then the functions with the most self time and the
 * src/ functions with the most total time, each with its place in src/ (positions in the built
 * dist/ are mapped back through its source maps). Per request too, with `--requests N` or the
 * `.requests` file bench/worker.ts writes beside its profiles.
 *
 *   node --import tsx bench/cpuprofile.ts miss-c64.cpuprofile --requests 86000 [--top 40]
 *   node --import tsx bench/cpuprofile.ts miss-c64.cpuprofile --vs raw-c64.cpuprofile
 *
 * `--vs` compares two profiles group by group and function by function, per request (both need
 * their request counts): what one contender spends that the other does not.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: 'string' },
    top: { type: 'string', default: '30' },
    vs: { type: 'string' },
  },
});
const file = positionals[0];
if (!file) throw new Error('usage: bench/cpuprofile.ts FILE.cpuprofile [--requests N] [--top N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
/** How many requests a profile covers: the `.requests` file bench/worker.ts writes beside it. */
function requestsOf(path: string): number | undefined {
  const beside = path.replace(/\.cpuprofile$/, '.requests');
  return existsSync(beside) ? Number(readFileSync(beside, 'utf8')) : undefined;
}
const requests = args.requests !== undefined ? Number(args.requests) : requestsOf(file);
const root = fileURLToPath(new URL('..', import.meta.url));

const maps = new Map<string, SourceMap | null>();
/** `src/actors/client.ts:123` for a frame (through dist's source map when there is one). */
function place(frame: CallFrame): string {
  if (!frame.url) return '(native)';
  if (!frame.url.startsWith('file://')) return `${frame.url}:${frame.lineNumber + 1}`;
  const path = fileURLToPath(frame.url);
  let map = maps.get(path);
  if (map === undefined) {
    map = existsSync(`${path}.map`)
      ? new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')))
      : null;
    maps.set(path, map);
  }
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as
    { originalSource?: string; originalLine?: number } | undefined;
  if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
    const source = entry.originalSource.startsWith('file://')
      ? fileURLToPath(entry.originalSource)
      : new URL(entry.originalSource, frame.url).pathname;
    return `${relative(root, source)}:${entry.originalLine + 1}`;
  }
  return `${relative(root, path)}:${frame.lineNumber + 1}`;
}

/** The group a frame's self time belongs to. */
function group(frame: CallFrame): string {
  const { functionName: fn, url } = frame;
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'program (native, unattributed)';
  if (url.includes('/node_modules/undici/')) return 'undici';
  if (url.includes('/node_modules/lru-cache/')) return 'LRU (lru-cache)';
  if (url.includes('/node_modules/keyv/') || url.includes('/node_modules/@keyv/')) return 'Keyv';
  if (url.includes('/node_modules/xstate/')) return 'fuse (xstate)';
  if (url.includes('/node_modules/nanoid/')) return 'request ids (nanoid)';
  if (url.includes('/node_modules/tsx/') || url.includes('/node_modules/esbuild/')) {
    return 'loader (tsx)';
  }
  if (url.includes('/node_modules/')) return `other node_modules`;
  if (url.includes('/src/cache/key') || url.includes('/dist/cache/key')) {
    return 'hashing / cache key';
  }
  if (/^(hash|digest|update|createHash|Hash)$/.test(fn) && url.startsWith('node:')) {
    return 'hashing / cache key';
  }
  if (url === '' && /^(parse|stringify|JSONParse|JSONStringify)$/.test(fn)) return 'JSON';
  if (url.startsWith('node:internal/timers') || url === 'node:timers') return 'timers';
  if (
    url.startsWith('node:internal/process/task_queues') ||
    url.startsWith('node:internal/async_hooks') ||
    (url === '' && /Promise|then|resolve|reject|runMicrotasks|await|finally/i.test(fn))
  ) {
    return 'promises / microtasks';
  }
  if (/node:(net|internal\/stream_base_commons|internal\/net|internal\/dns)/.test(url)) {
    return 'sockets (node:net)';
  }
  if (/node:(internal\/)?streams?/.test(url) || url.startsWith('node:internal/streams')) {
    return 'node streams';
  }
  if (/node:(internal\/)?(util|encoding)/.test(url) || fn === 'decode') return 'text decoding';
  if (url.startsWith('node:')) return `node: other (${url.replace(/^node:(internal\/)?/, '')})`;
  if (url === '') return `native builtins (${fn || 'anonymous'})`;
  const path = url.startsWith('file://') ? relative(root, fileURLToPath(url)) : url;
  if (path.startsWith('bench/')) return 'bench harness';
  if (path.startsWith('src/') || path.startsWith('dist/')) {
    return `ours: ${path.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')}`;
  }
  return path;
}

interface Analysis {
  self: Map<string, number>;
  total: Map<string, number>;
  groups: Map<string, number>;
  frameOf: Map<string, CallFrame>;
  all: number;
  idle: number;
}

function analyze(profile: Profile): Analysis {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (f: CallFrame) => `${f.functionName || '(anonymous)'}\u0000${place(f)}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const groups = new Map<string, number>();
  const frameOf = new Map<string, CallFrame>();
  let all = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i]!)!;
    const f = node.callFrame;
    all += dt;
    if (f.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    const k = key(f);
    frameOf.set(k, f);
    self.set(k, (self.get(k) ?? 0) + dt);
    const g = group(f);
    groups.set(g, (groups.get(g) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id)!.callFrame;
      if (cf.functionName === '(root)') break;
      const kk = key(cf);
      if (seen.has(kk)) continue;
      seen.add(kk);
      frameOf.set(kk, cf);
      total.set(kk, (total.get(kk) ?? 0) + dt);
    }
  }
  return { self, total, groups, frameOf, all, idle };
}

const { self, total, groups, frameOf, all, idle } = analyze(profile);
const busy = all - idle;
const top = Number(args.top);
const ms = (us: number) => (us / 1000).toFixed(0);
const pct = (us: number) => ((100 * us) / busy).toFixed(1);
const per = (us: number) => (requests ? (us / requests).toFixed(2) : '');
const perHead = requests ? ' µs/req |' : '';
const perSep = requests ? ' ---: |' : '';

const out: string[] = [
  `${file}: ${ms(all)} ms sampled, ${ms(busy)} ms busy (${ms(idle)} ms idle)${requests ? `, ${requests} requests: ${(busy / requests).toFixed(1)} µs of CPU each` : ''}`,
  '',
  `| group (self time) | ms | % of busy |${perHead}`,
  `| --- | ---: | ---: |${perSep}`,
];
for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1])) {
  out.push(`| ${g} | ${ms(us)} | ${pct(us)} |${requests ? ` ${per(us)} |` : ''}`);
}
const row = (k: string, us: number) => {
  const [fn, at] = k.split('\u0000') as [string, string];
  return `| ${fn} | ${at} | ${group(frameOf.get(k)!)} | ${ms(us)} | ${pct(us)} |${requests ? ` ${per(us)} |` : ''}`;
};
out.push(
  '',
  `Top ${top} functions by self time:`,
  '',
  `| function | where | group | self ms | % |${perHead}`,
  `| --- | --- | --- | ---: | ---: |${perSep}`,
  ...[...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => row(k, us)),
  '',
  `Top ${top} functions of src/ by total time (self + callees):`,
  '',
  `| function | where | group | total ms | % |${perHead}`,
  `| --- | --- | --- | ---: | ---: |${perSep}`,
  ...[...total]
    .filter(([k]) => /\u0000src\//.test(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => row(k, us)),
);
console.log(out.join('\n'));

if (args.vs !== undefined) {
  const other = analyze(JSON.parse(readFileSync(args.vs, 'utf8')) as Profile);
  const otherRequests = requestsOf(args.vs);
  if (!requests || !otherRequests) throw new Error('--vs: both profiles need their request counts');
  const a = (us: number | undefined) => (us ?? 0) / requests;
  const b = (us: number | undefined) => (us ?? 0) / otherRequests;
  const diff = (mine: Map<string, number>, theirs: Map<string, number>) =>
    [...new Set([...mine.keys(), ...theirs.keys()])]
      .map((k) => [k, a(mine.get(k)), b(theirs.get(k))] as const)
      .sort((x, y) => Math.abs(y[1] - y[2]) - Math.abs(x[1] - x[2]));
  const busyA = a(all - idle);
  const busyB = b(other.all - other.idle);
  const lines = [
    '',
    `Against ${args.vs}: ${busyA.toFixed(1)} against ${busyB.toFixed(1)} µs of CPU per request (${(busyA - busyB).toFixed(1)} more)`,
    '',
    '| group (self time) | µs/req | µs/req there | difference |',
    '| --- | ---: | ---: | ---: |',
    ...diff(groups, other.groups)
      .filter(([, x, y]) => Math.abs(x - y) >= 0.05)
      .map(([g, x, y]) => `| ${g} | ${x.toFixed(2)} | ${y.toFixed(2)} | ${(x - y).toFixed(2)} |`),
    '',
    `The ${top} functions whose self time differs most:`,
    '',
    '| function | where | µs/req | µs/req there | difference |',
    '| --- | --- | ---: | ---: | ---: |',
    ...diff(self, other.self)
      .slice(0, top)
      .map(([k, x, y]) => {
        const [fn, at] = k.split('\u0000') as [string, string];
        return `| ${fn} | ${at} | ${x.toFixed(2)} | ${y.toFixed(2)} | ${(x - y).toFixed(2)} |`;
      }),
  ];
  console.log(lines.join('\n'));
}
