/**
 * Groups under test: one testing server per member (so each member's upstream requests can be
 * counted), a runtime over them, all closed after each test.
 */
import { afterEach, vi } from 'vitest';
import {
  createRuntime,
  type ClientConfig,
  type GroupConfig,
  type Runtime,
  type RuntimeConfig,
} from '../../src/index.js';
import {
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from '../../src/testing/index.js';

/** The members' servers by client name, and the runtime. */
export interface GroupsUnderTest {
  servers: Record<string, TestServer>;
  runtime: Runtime;
}

/** An OpenAI client of `server`, retries on (group calls turn them off themselves). */
export function openaiClient(server: TestServer, extra: Partial<ClientConfig> = {}): ClientConfig {
  return { provider: 'openai', baseUrl: server.url, model: 'test-model', ...extra } as ClientConfig;
}

/** Registers the cleanup; `start` starts a server per client and a runtime with `groups`. */
export function groupsPerTest(): {
  start(
    clients: string[],
    groups: Record<string, GroupConfig>,
    options?: {
      server?: (client: string) => TestServerOptions;
      client?: (client: string, server: TestServer) => ClientConfig;
      runtime?: Partial<RuntimeConfig>;
    },
  ): Promise<GroupsUnderTest>;
} {
  let servers: TestServer[] = [];
  let runtimes: Runtime[] = [];
  afterEach(async () => {
    await Promise.all(runtimes.map((r) => r.stop({ timeoutMs: 0 })));
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    runtimes = [];
    vi.useRealTimers();
  });
  return {
    async start(clients, groups, options = {}) {
      const byName: Record<string, TestServer> = {};
      for (const name of clients) {
        byName[name] = await startTestServer({ model: `${name}-model`, ...options.server?.(name) });
        servers.push(byName[name]);
      }
      const configs = Object.fromEntries(
        clients.map((name) => [
          name,
          options.client?.(name, byName[name]!) ??
            openaiClient(byName[name]!, { model: `${name}-model` }),
        ]),
      );
      const runtime = await createRuntime({
        logger: false,
        clients: configs,
        groups,
        ...options.runtime,
      });
      runtimes.push(runtime);
      return { servers: byName, runtime };
    },
  };
}

/** The user message every test sends. */
export const hello = [{ role: 'user' as const, content: 'hello' }];
