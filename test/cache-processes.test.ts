/**
 * The SQLite cache shared across processes: two writers at once do not corrupt it, and a
 * writer killed with SIGKILL mid-run leaves a file the next process opens and uses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/index.js';
import { runtimePerTest } from './support/runtime.js';

let dir: string;
let path: string;

const runtimes = runtimePerTest(() => rmSync(dir, { recursive: true, force: true }));

function writer(prefix: string, count: number): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/cache-writer.ts', path, prefix, String(count)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
}

async function finished(child: ChildProcess): Promise<number | null> {
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

function query(sql: string): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (error) => {
      if (error) return reject(error);
      db.all(sql, (e, rows) => db.close(() => (e ? reject(e) : resolve(rows as never))));
    });
  });
}

async function reader(): Promise<{ runtime: Runtime; calls: () => number }> {
  let calls = 0;
  const runtime = await runtimes.start({
    clients: {
      shared: {
        provider: 'driver',
        model: 'm',
        request: ({ messages }) => {
          calls++;
          return { text: `answer to ${messages[0]!.content}` };
        },
        output: (raw: { text: string }) => ({ text: raw.text }),
      },
    },
    cache: { store: 'sqlite', path },
  });
  return { runtime, calls: () => calls };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'llma-procs-'));
  path = join(dir, 'shared.sqlite');
});

describe('a SQLite cache shared by processes', () => {
  it('takes two writers at once without corruption, and a third process hits every answer', async () => {
    const codes = await Promise.all([finished(writer('a', 150)), finished(writer('b', 150))]);
    expect(codes).toEqual([0, 0]);
    expect(await query('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    const { runtime: rt, calls } = await reader();
    for (const prefix of ['a', 'b']) {
      for (let i = 0; i < 150; i += 7) {
        const res = await rt.request('shared', [{ role: 'user', content: `${prefix}-${i}` }]);
        expect(res).toMatchObject({ cacheHit: true, text: `answer to ${prefix}-${i}` });
      }
    }
    expect(calls()).toBe(0);
    expect(rt.health('shared').cache.invalid).toBe(0);
  }, 60_000);

  it('survives a writer killed with SIGKILL mid-run: the next process opens and uses the file', async () => {
    const child = writer('k', 100_000);
    let written = 0;
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /wrote (\d+)\n$/.exec(String(chunk));
      if (match) written = Number(match[1]);
    });
    while (written < 200) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    expect(await finished(child)).toBeNull();
    const { runtime: rt, calls } = await reader();
    const hit = await rt.request('shared', [{ role: 'user', content: 'k-0' }]);
    expect(hit).toMatchObject({ cacheHit: true, text: 'answer to k-0' });
    const fresh = await rt.request('shared', [{ role: 'user', content: 'after the crash' }]);
    expect(fresh.cacheHit).toBe(false);
    expect(calls()).toBe(1);
    await rt.stop();
    expect(await query('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    const rows = await query('SELECT count(*) AS n FROM llm_actors_cache');
    expect(Number(rows[0]!.n)).toBeGreaterThanOrEqual(200);
  }, 60_000);
});
