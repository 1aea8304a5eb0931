/**
 * The optional integrations stay optional: the main entry point's module graph never reaches
 * the AI SDK or Ax, so `llm-actors` loads without them installed.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const IMPORT =
  /^\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every package a source file reaches through its static and dynamic imports, transitively. */
function packagesReachedFrom(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const specifier = (match[1] ?? match[2])!;
      if (specifier.startsWith('.'))
        visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else packages.add(specifier);
    }
  };
  visit(resolve(root, entry));
  return packages;
}

describe('entry points', () => {
  it('llm-actors reaches neither the AI SDK nor Ax', () => {
    const reached = [...packagesReachedFrom('src/index.ts')];
    expect(reached).toContain('undici');
    expect(reached.filter((p) => /^(ai|@ai-sdk\/|@ax-llm\/)/.test(p))).toEqual([]);
  });

  it('llm-actors/ai-sdk reaches the AI SDK provider types and nothing of Ax', () => {
    const reached = [...packagesReachedFrom('src/adapters/ai-sdk/index.ts')];
    expect(reached).toContain('@ai-sdk/provider');
    expect(reached.filter((p) => p.startsWith('@ax-llm/'))).toEqual([]);
  });

  it('llm-actors/ax reaches Ax and nothing of the AI SDK', () => {
    const reached = [...packagesReachedFrom('src/adapters/ax/index.ts')];
    expect(reached).toContain('@ax-llm/ax');
    expect(reached.filter((p) => /^(ai|@ai-sdk\/)/.test(p))).toEqual([]);
  });

  it('every entry point in package.json exports has its source file', () => {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
      exports: Record<string, string | { import: string }>;
    };
    for (const [name, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      const source = target.import.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
      expect(() => readFileSync(resolve(root, source)), name).not.toThrow();
    }
  });
});
