/**
 * One gateway per test for the gateway's hostile-caller tests: a testing upstream, a runtime and
 * a gateway over it, and any extra server a test starts, all closed after each test (raw
 * sockets first).
 */
import type { Server } from 'node:http';
import { afterEach } from 'vitest';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway/index.js';
import { createRuntime, type ClientConfig, type Runtime } from '../../src/index.js';
import { startTestServer, type TestServer } from '../../src/testing/index.js';
import { destroyAll } from './raw-http.js';

/** What {@link gatewayPerTest} has started in the current test. */
export interface GatewayUnderTest {
  upstream: TestServer | undefined;
  runtime: Runtime | undefined;
  gateway: Gateway | undefined;
  /** A testing upstream, closed after the test. */
  startUpstream(): Promise<TestServer>;
  /** A runtime with `clients` and a gateway on port 0 over it, both closed after the test. */
  start(clients: Record<string, ClientConfig>, options?: GatewayOptions): Promise<Gateway>;
  /** Closes `server` after the test. */
  track(server: Server): void;
}

/** Registers the after-each cleanup and returns the test's handle on what it starts. */
export function gatewayPerTest(): GatewayUnderTest {
  const servers: Server[] = [];
  const state: GatewayUnderTest = {
    upstream: undefined,
    runtime: undefined,
    gateway: undefined,
    async startUpstream() {
      state.upstream = await startTestServer();
      return state.upstream;
    },
    async start(clients, options = {}) {
      state.runtime = await createRuntime({ clients, logger: false });
      state.gateway = await createGateway(state.runtime, { port: 0, logger: false, ...options });
      return state.gateway;
    },
    track(server) {
      servers.push(server);
    },
  };
  afterEach(async () => {
    destroyAll();
    await state.gateway?.close({ timeoutMs: 0 });
    await state.runtime?.stop({ timeoutMs: 0 });
    await state.upstream?.close();
    for (const server of servers.splice(0)) {
      await new Promise((resolve) => server.close(resolve));
    }
    state.gateway = state.runtime = state.upstream = undefined;
  });
  return state;
}
