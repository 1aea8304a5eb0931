/**
 * A stalled Redis never keeps the process alive: a child process with a Redis cache and a
 * fleet-wide fuse, Redis stopped with SIGSTOP and commands left unanswered on its links, exits
 * by itself soon after `runtime.stop()` (it never calls `process.exit`).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';
import type { RuntimeConfig } from '../src/index.js';
import { redisPerFile } from './support/redis.js';

const shared = redisPerFile();

it('exits by itself after stop() while Redis is stopped with SIGSTOP', async () => {
  const config: RuntimeConfig = {
    clients: {
      gpt: {
        provider: 'openai',
        baseUrl: shared.server.url,
        model: 'm',
        retry: false,
        cache: { store: 'redis', url: shared.redis.url },
        fuse: { maxFailures: 1, shared: { url: shared.redis.url } },
      },
    },
  };
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/stalled-stop.ts', JSON.stringify(config)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  try {
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('ready');
    shared.server.inject({ kind: 'status', status: 500 }, { times: 1 });
    shared.redis.pause();
    child.stdin!.write('go\n');
    expect((await lines.next()).value).toBe('stopped with the fuse open');
    const stoppedAt = performance.now();
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    // Redis links closed at once; only a reconnect delay or a timer may finish first.
    expect(performance.now() - stoppedAt).toBeLessThan(3_000);
  } finally {
    clearTimeout(killer);
    shared.redis.resume();
  }
}, 60_000);
