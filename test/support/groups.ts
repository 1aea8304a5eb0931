/**
 * Groups under test: one testing server per member (so each member's upstream requests can be
 * counted), a runtime over them, all closed after each test.
 */
import { afterEach, vi } from 'vitest';
import {
  createRuntime,
  type Clock,
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

/** Anthropic's refusal of a prompt longer than the model's context: a 400 with no code. */
export const anthropicOverflow = {
  kind: 'status' as const,
  status: 400,
  body: JSON.stringify({
    type: 'error',
    error: {
      type: 'invalid_request_error',
      message: 'prompt is too long: 210000 tokens > 200000 maximum',
    },
  }),
};

/** A clock whose timers fire only when the test advances it (deadlines, fuses and hedges alike). */
export interface ManualClock extends Clock {
  /** Moves time on by `ms`, firing the timers that come due, in order. */
  advance(ms: number): void;
}

/** A {@link ManualClock} starting at the real time now. */
export function manualClock(): ManualClock {
  let now = Date.now();
  let next = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++next;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (id) => void timers.delete(id as number),
    random: () => 0.5,
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at);
        if (due.length === 0) break;
        const [id, timer] = due[0]!;
        timers.delete(id);
        now = Math.max(now, timer.at);
        timer.fn();
      }
      now = until;
    },
  };
}

/** A clock on real timers whose `now` runs `offset` ms ahead of the real time (set by hand). */
export function offsetClock(): Clock & { offset: number } {
  const clock = {
    offset: 0,
    now: () => Date.now() + clock.offset,
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
    random: () => 0.5,
  };
  return clock;
}

/**
 * A group `chat` of `primary` and `backup`, hedged after `afterMs` on a clock the test moves by
 * hand, whose primary never answers.
 */
export async function hedgedPair(
  groups: ReturnType<typeof groupsPerTest>,
  afterMs: number,
): Promise<GroupsUnderTest & { clock: ManualClock }> {
  const clock = manualClock();
  const started = await groups.start(
    ['primary', 'backup'],
    { chat: { members: ['primary', 'backup'], hedge: { afterMs } } },
    { runtime: { clock } },
  );
  started.servers.primary!.inject({ kind: 'hang' });
  return { ...started, clock };
}
