/**
 * Fleet processes for the tests of scale-out on Redis: a real redis-server per file, and worker
 * processes (test/support/fleet-worker.ts) driven over stdin and stdout, ended after each test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { ClientConfig, ClientHealth, RuntimeConfig } from '../../src/index.js';
import { startRedis, type TestRedis } from './redis.js';

/** What a worker answers to a request. */
export interface Answer {
  ok: boolean;
  cacheHit?: boolean;
  text?: string;
  code?: string;
}

/** Polls wait this long: processes under a loaded CI machine take their time. */
export const SLOW = { timeout: 15_000 };

/** One fleet process, driven over its stdin and stdout. */
export class Worker {
  private next = 0;
  private readonly pending = new Map<number, (message: Record<string, unknown>) => void>();
  readonly ready: Promise<void>;

  constructor(readonly child: ChildProcess) {
    let markReady!: () => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      if (message.ready) return markReady();
      this.pending.get(message.id as number)?.(message);
      this.pending.delete(message.id as number);
    });
  }

  private call(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  }

  async request(content: string, timeoutMs?: number): Promise<Answer> {
    return (await this.call({
      op: 'request',
      client: 'gpt',
      content,
      timeoutMs,
    })) as unknown as Answer;
  }

  async health(): Promise<ClientHealth> {
    return (await this.call({ op: 'health', client: 'gpt' })).health as ClientHealth;
  }
}

export interface FleetPerTest {
  /** This file's redis-server. */
  readonly redis: TestRedis;
  /** Starts `n` processes, each with the one client `gpt` configured as `client`. */
  start(n: number, client: ClientConfig): Promise<Worker[]>;
}

/**
 * Registers the hooks: a redis-server for the file (or the describe block), and after each test
 * its worker processes ended (stdin closed; SIGKILL after 5 s), then `after` run.
 */
export function fleetPerTest(after?: () => unknown): FleetPerTest {
  let redis: TestRedis | undefined;
  const workers: Worker[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.kill();
  });
  afterEach(async () => {
    try {
      for (const worker of workers.splice(0)) {
        if (worker.child.exitCode !== null || worker.child.signalCode !== null) continue;
        worker.child.stdin!.end();
        const exited = once(worker.child, 'exit');
        const timer = setTimeout(() => worker.child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    } finally {
      await after?.();
    }
  });
  return {
    get redis() {
      if (redis === undefined) throw new Error('redis-server has not started');
      return redis;
    },
    async start(n, client) {
      const config: RuntimeConfig = { clients: { gpt: client } };
      const started = Array.from({ length: n }, () => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'test/support/fleet-worker.ts', JSON.stringify(config)],
          { stdio: ['pipe', 'pipe', 'inherit'] },
        );
        const worker = new Worker(child);
        workers.push(worker);
        return worker;
      });
      await Promise.all(started.map((w) => w.ready));
      return started;
    },
  };
}
