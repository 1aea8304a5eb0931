/**
 * The `llm-actors` command, run as a real process: serve, answer, shut down on SIGTERM; and
 * the exit codes and messages of bad usage and bad config.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/gateway/index.js';
import { startRedis } from './support/redis.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-actors-cli-'));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(text: string): string {
  const path = join(dir, `config-${children.length}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
}

const DEMO = `
clients:
  demo: { provider: openai, baseUrl: "\${LLM_ACTORS_DEMO_URL}", model: demo-model }
`;

/** Runs the CLI; resolves with the process and a reader of what it printed so far. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (out.stdout += chunk));
  child.stderr.on('data', (chunk) => (out.stderr += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, out, exited };
}

async function listening(out: { stderr: string }, exited: Promise<unknown>): Promise<string> {
  let done = false;
  void exited.then(() => (done = true));
  await expect
    .poll(() => done || /gateway on (http\S+)/.test(out.stderr), { timeout: 20_000 })
    .toBe(true);
  const match = /gateway on (http\S+)/.exec(out.stderr);
  if (!match) throw new Error(`the gateway did not start:\n${out.stderr}`);
  return match[1]!;
}

describe('llm-actors serve', () => {
  it('serves the config, answers chat, and drains and exits 0 on SIGTERM', async () => {
    const { child, out, exited } = cli([
      'serve',
      '--config',
      config(DEMO),
      '--port',
      '0',
      '--demo',
    ]);
    const url = await listening(out, exited);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { choices: [{ message: { content: string } }] }).choices[0],
    ).toMatchObject({
      message: { content: 'echo: hi' },
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out.stderr).toContain('SIGTERM, draining');
    expect(out.stdout).toContain('"msg":"gateway closed"');
  }, 30_000);

  it('exits 0 on SIGTERM while its Redis is stalled (stopped with SIGSTOP)', async () => {
    const redis = await startRedis();
    try {
      const { child, out, exited } = cli([
        'serve',
        '--config',
        config(`
clients:
  demo:
    provider: openai
    baseUrl: "\${LLM_ACTORS_DEMO_URL}"
    model: demo-model
    cache: { store: redis, url: "${redis.url}" }
    fuse: { shared: { url: "${redis.url}" } }
`),
        '--port',
        '0',
        '--demo',
      ]);
      const url = await listening(out, exited);
      const ask = () =>
        fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }),
        });
      expect((await ask()).status).toBe(200);
      redis.pause();
      expect((await ask()).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      redis.resume();
      await redis.kill();
    }
  }, 30_000);

  it('exits 2 naming the file and the field of a bad config', async () => {
    const path = config('clients:\n  gpt: { provider: openai }\n');
    const { out, exited } = cli(['serve', '--config', path]);
    expect(await exited).toBe(2);
    expect(out.stderr).toContain(path);
    expect(out.stderr).toContain('clients.gpt.model');
  }, 30_000);

  it('exits 2 naming an environment variable that is not set', async () => {
    const { out, exited } = cli(['serve', '--config', config(DEMO)], { LLM_ACTORS_DEMO_URL: '' });
    expect(await exited).toBe(2);
    expect(out.stderr).toContain(
      'clients.demo.baseUrl: the environment variable LLM_ACTORS_DEMO_URL is not set',
    );
  }, 30_000);

  it('exits 2, demo server and all, when a client cannot start', async () => {
    const path = config(`
clients:
  demo:
    provider: openai
    baseUrl: "\${LLM_ACTORS_DEMO_URL}"
    model: m
    cache: { store: sqlite, path: /dev/null/cannot/cache.sqlite }
`);
    const { out, exited } = cli(['serve', '--config', path, '--demo', '--port', '0']);
    expect(await exited).toBe(2);
    expect(out.stderr).toContain('clients.demo.cache: cannot open the sqlite cache');
  }, 30_000);

  it('exits 1 when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { out, exited } = cli([
        'serve',
        '--config',
        config(DEMO),
        '--demo',
        '--port',
        String(port),
      ]);
      expect(await exited).toBe(1);
      expect(out.stderr).toContain('the port is in use');
    } finally {
      blocker.close();
    }
  }, 30_000);

  it.each([
    [[], 'missing command'],
    [['launch'], 'unknown command "launch"'],
    [['serve'], '--config <file> is required'],
    [['serve', '--config', 'x.yaml', '--port', 'http'], '--port: expected an integer'],
    [['serve', '--colour'], "Unknown option '--colour'"],
  ])(
    'exits 2 with the usage for %j',
    async (args, message) => {
      const { out, exited } = cli(args);
      expect(await exited).toBe(2);
      expect(out.stderr).toContain(message);
    },
    30_000,
  );

  it('prints the usage and exits 0 for --help', async () => {
    const { out, exited } = cli(['--help']);
    expect(await exited).toBe(0);
    expect(out.stdout).toContain('Usage: llm-actors serve --config <file>');
  }, 30_000);

  it('has a valid example config behind npm start', () => {
    const config = loadConfigFile('examples/gateway.yaml', {
      LLM_ACTORS_DEMO_URL: 'http://127.0.0.1:1/v1',
    });
    expect(Object.keys(config.runtime.clients!)).toContain('demo');
    expect(config.gateway.host).toBe('127.0.0.1');
  });
});
