/**
 * A real redis-server for the fleet tests: started on a free loopback port as a child of the
 * test (so it can be killed and restarted mid-run), stopped by its PID. `.ci/run` installs
 * redis-server; locally: `apt-get install -y redis-server`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import type { ClientConfig } from '../../src/index.js';
import { freePort, startTestServer, type TestServer } from '../../src/testing/index.js';

/** A running redis-server that the test owns. */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Kills it (SIGKILL: an outage, not a shutdown) and waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: it keeps nothing). */
  restart(): Promise<void>;
  /**
   * Stops it with SIGSTOP: its sockets stay up and it answers nothing (a stalled Redis), until
   * {@link resume}.
   */
  pause(): void;
  /** Lets a paused server go on (SIGCONT): it answers everything it was sent meanwhile. */
  resume(): void;
}

/** Resolves once the server answers PING. */
async function ready(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const pong = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => resolve(false));
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (data) => {
        socket.destroy();
        resolve(String(data).startsWith('+PONG'));
      });
    });
    if (pong) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server on port ${port} did not answer`);
}

/** Starts a redis-server that keeps nothing on disk. */
export async function startRedis(): Promise<TestRedis> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error(
      'redis-server is not installed: the fleet tests need it (apt-get install -y redis-server; .ci/run does this)',
    );
  }
  const port = await freePort();
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await ready(port, child);
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    restart: launch,
  };
}

/** A TCP proxy in front of Redis that can stall: it keeps the connections up but stops passing data. */
export interface StallableProxy {
  readonly url: string;
  /** From now on nothing passes (a paused or partitioned Redis). */
  stall(): void;
  /** Passes what was held back, and everything after. */
  resume(): void;
  close(): Promise<void>;
}

/** Starts a {@link StallableProxy} to the Redis on `port`. */
export async function stallableProxy(port: number): Promise<StallableProxy> {
  let stalled = false;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    const pass = (from: Socket, to: Socket) =>
      from.on('data', (data) => (stalled ? held.push(() => to.write(data)) : to.write(data)));
    pass(client, upstream);
    pass(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    stall: () => (stalled = true),
    resume() {
      stalled = false;
      for (const write of held.splice(0)) write();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A redis-server and a testing upstream shared by one test file; see {@link redisPerFile}. */
export interface RedisAndUpstream {
  redis: TestRedis;
  server: TestServer;
}

/**
 * Starts a redis-server and a testing upstream before the file's tests and stops both after
 * them (a stopped Redis is let go on first, so that it can be killed).
 */
export function redisPerFile(): RedisAndUpstream {
  const shared = {} as RedisAndUpstream;
  beforeAll(async () => {
    shared.redis = await startRedis();
    shared.server = await startTestServer();
  });
  afterAll(async () => {
    shared.redis?.resume();
    await shared.redis?.kill();
    await shared.server?.close();
  });
  return shared;
}

/**
 * The config of a client of `baseUrl` (openai, no cache, no retries) whose `rateLimit` budget
 * is shared by the fleet through the Redis at `url`.
 */
export function sharedRateClient(
  baseUrl: string,
  model: string,
  rateLimit: ClientConfig['rateLimit'],
  url: string,
): ClientConfig {
  return {
    provider: 'openai',
    baseUrl,
    model,
    cache: false,
    retry: false,
    rateLimit: { ...rateLimit, shared: { url } },
  } as ClientConfig;
}
