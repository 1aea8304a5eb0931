/**
 * docs/gateway.md's config file, read as a user reads it: the YAML example loads as it is
 * written, and `llm-actors serve --help` names what that file may hold (its gateway keys, and
 * groups beside the clients).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/gateway/index.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-actors-docs-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first YAML block of docs/gateway.md: "The config file". */
function documentedConfig(): string {
  const doc = readFileSync('docs/gateway.md', 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(doc);
  if (!block) throw new Error('docs/gateway.md has no YAML example');
  return block[1]!;
}

/** The keys of the example's `gateway:` section, in the order written. */
function gatewayKeys(yaml: string): string[] {
  const section = /^gateway:\n((?: {2}.*\n)+)/m.exec(yaml);
  if (!section) throw new Error('the YAML example has no gateway section');
  return [...section[1]!.matchAll(/^ {2}(\w+):/gm)].map((m) => m[1]!);
}

const ENV = {
  GATEWAY_API_KEY: 'gateway-key-0123456789',
  ADMIN_TOKEN: 'admin-token-0123456789',
  OPENAI_API_KEY: 'sk-docs-openai',
  ANTHROPIC_API_KEY: 'sk-docs-anthropic',
};

describe('docs/gateway.md: the config file', () => {
  it('loads as written, with its clients, its group and its gateway settings', () => {
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, documentedConfig());
    const loaded = loadConfigFile(file, ENV);
    expect(Object.keys(loaded.runtime.clients ?? {})).toEqual(['gpt', 'claude']);
    expect(loaded.runtime.groups).toEqual({
      chat: { members: ['gpt', 'claude'], strategy: 'fallback', resumeStreams: true },
    });
    expect(loaded.gateway).toMatchObject({ port: 8787, eventsIntervalMs: 1000 });
  });

  it('has every gateway key it shows named by `llm-actors serve --help`, and groups too', () => {
    const keys = gatewayKeys(documentedConfig());
    expect(keys).toContain('eventsIntervalMs');
    const help = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--help'], {
      encoding: 'utf8',
    });
    expect(help.status).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    for (const key of keys) expect(text).toContain(key);
    expect(text).toContain('clients and groups (as createRuntime takes them)');
  });
});
