import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers of src/, lowest first: a file may import from its own folder or from a lower
 * layer, never from a higher one (docs/architecture.md draws them).
 */
const LAYERS: Record<string, number> = {
  model: 0,
  testing: 0,
  config: 1,
  policy: 2,
  transport: 3,
  fleet: 4,
  cache: 5,
  providers: 6,
  observe: 7,
  client: 8,
  supervision: 9,
  groups: 10,
  '.': 11,
  adapters: 12,
  gateway: 12,
  'cli.ts': 13,
};

const SRC = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

/** The src-relative files `file` imports (type-only imports included: they are coupling too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => relative(SRC, normalize(join(dirname(file), s.replace(/\.js$/, '.ts')))));
}

function layerOf(path: string): { folder: string; layer: number } {
  const top = path.includes('/') ? path.split('/')[0]! : path === 'cli.ts' ? 'cli.ts' : '.';
  const layer = LAYERS[top];
  if (layer === undefined) throw new Error(`${path}: src/${top} has no layer in this test`);
  return { folder: top, layer };
}

const graph = new Map(sourceFiles().map((f) => [relative(SRC, f), importsOf(f)]));

describe('the shape of src/', () => {
  it('imports only from its own folder or a lower layer', () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      const from = layerOf(file);
      for (const target of imports) {
        const to = layerOf(target);
        if (to.folder !== from.folder && to.layer >= from.layer)
          upward.push(`${file} -> ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('has no import circle', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(circles).toEqual([]);
  });

  it('keeps every source file near one concept (at most ~300 lines)', () => {
    const long = [...graph.keys()]
      .map((file) => ({ file, lines: readFileSync(join(SRC, file), 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > 320)
      .map(({ file, lines }) => `${file}: ${lines}`);
    expect(long).toEqual([]);
  });
});
