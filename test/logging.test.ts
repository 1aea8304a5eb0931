import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { rootLogger } from '../src/observe/logger.js';
import { hi, httpFailure, testDriver } from './support/driver.js';
import { runtimePerTest } from './support/runtime.js';

const KEY = 'sk-live-LOGSENTINEL-42424242';

/** A pino logger whose lines are parsed into `lines`. */
function sink(level: string): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

const runtimes = runtimePerTest();

describe('logging', () => {
  it('logs through a child logger per client, with the request id on every request line', async () => {
    const { logger, lines } = sink('debug');
    const d = testDriver();
    const runtime = await runtimes.start({ clients: { d: d.config }, logger });
    await runtime.request('d', hi);
    const requestLines = lines.filter((l) => l.req !== undefined);
    expect(requestLines.length).toBeGreaterThan(0);
    expect(requestLines.every((l) => l.client === 'd' && l.provider === 'driver')).toBe(true);
    expect(runtime.history('d')[0]!.id).toBe(requestLines[0]!.req);
  });

  it('logs a fuse melt as a warning with the fuse state', async () => {
    const { logger, lines } = sink('info');
    const d = testDriver(() => {
      throw httpFailure(500);
    });
    const runtime = await runtimes.start({
      clients: { d: { ...d.config, retry: false, fuse: { maxFailures: 1 } } },
      logger,
    });
    await runtime.request('d', hi).catch(() => {});
    const melt = lines.find((l) => l.msg === 'fuse open');
    expect(melt).toMatchObject({ level: 40, client: 'd', fuse: { state: 'open', melts: 1 } });
  });

  it('never writes an API key, even when a log object carries one', async () => {
    const { logger, lines } = sink('trace');
    const d = testDriver(() => {
      throw Object.assign(new Error(`upstream said: bad key ${KEY}`), { status: 401 });
    });
    const runtime = await runtimes.start({
      clients: { d: { ...d.config, apiKey: KEY, headers: { 'x-api-key': KEY } } },
      logger,
    });
    const error = await runtime.request('d', hi).catch((e: Error) => e);
    expect(String((error as Error).message)).not.toContain(KEY);
    runtime.kill('d');
    expect(JSON.stringify(lines)).not.toContain(KEY);
    expect(JSON.stringify(runtime.health('d'))).not.toContain(KEY);
    expect(JSON.stringify(runtime.history('d'))).not.toContain(KEY);
  });

  it('redacts keys and credential headers in anything the runtime logger is given', () => {
    const { logger, lines } = sink('info');
    const log = rootLogger(logger).child({ client: 'd' });
    log.info(
      { apiKey: KEY, config: { apiKey: KEY, headers: { authorization: `Bearer ${KEY}` } } },
      'x',
    );
    log.info({ headers: { 'x-api-key': KEY, authorization: KEY } }, 'y');
    expect(lines).toHaveLength(2);
    expect(JSON.stringify(lines)).not.toContain(KEY);
  });

  it('is silent with logger: false', async () => {
    const d = testDriver();
    const runtime = await runtimes.start({ clients: { d: d.config }, logger: false });
    await expect(runtime.request('d', hi)).resolves.toMatchObject({ text: 'echo: hi' });
  });
});
