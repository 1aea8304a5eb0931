/**
 * A group behind the gateway, driven from outside as a user would: the members' testing servers,
 * a runtime with the group, the gateway over it and an official `openai` client of the gateway
 * (the SDK's default retries unless told otherwise) — all closed after each test.
 */
import OpenAI, { APIError } from 'openai';
import { afterEach } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import type { ClientConfig, GroupConfig, RuntimeConfig } from '../../src/index.js';
import type { TestServer } from '../../src/testing/index.js';
import { groupsPerTest, openaiClient, type GroupsUnderTest } from './groups.js';

/** A group `chat` of `primary` and `backup` served by a gateway. */
export interface ServedGroup extends GroupsUnderTest {
  gateway: Gateway;
  /** An `openai` client of the gateway, with the SDK's default `maxRetries` (2). */
  sdk: OpenAI;
  /** The same with `maxRetries: 0`: one gateway request per call. */
  once: OpenAI;
}

/** Registers the cleanup; `serve` starts a group `chat` of `primary` and `backup`. */
export function servedGroupPerTest(): {
  serve(options?: {
    group?: Partial<GroupConfig>;
    /** What each member's config changes (an OpenAI client of its server otherwise). */
    client?: Partial<ClientConfig> | ((name: string, server: TestServer) => Partial<ClientConfig>);
    runtime?: Partial<RuntimeConfig>;
  }): Promise<ServedGroup>;
} {
  const groups = groupsPerTest();
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.close({ timeoutMs: 0 });
    gateway = undefined;
  });
  return {
    async serve(options = {}) {
      const started = await groups.start(
        ['primary', 'backup'],
        { chat: { members: ['primary', 'backup'], ...options.group } },
        {
          client: (name: string, server: TestServer) =>
            openaiClient(server, {
              model: `${name}-model`,
              cache: false,
              ...(typeof options.client === 'function'
                ? options.client(name, server)
                : options.client),
            } as Partial<ClientConfig>),
          runtime: options.runtime,
        },
      );
      gateway = await createGateway(started.runtime, { port: 0, logger: false });
      const baseURL = `${gateway.url}/v1`;
      return {
        ...started,
        gateway,
        sdk: new OpenAI({ baseURL, apiKey: 'unused' }),
        once: new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0 }),
      };
    },
  };
}

/** The one user message of every call. */
export const HELLO = [{ role: 'user' as const, content: 'hello' }];

/** What an SDK call threw, as the caller reads it. */
export interface SeenError {
  name: string;
  status: number | undefined;
  code: string | null | undefined;
  type: string | undefined;
  param: string | null | undefined;
  message: string;
  shouldRetry: string | null | undefined;
  retryAfter: string | null | undefined;
}

/** The error `call` rejects with, read as an `openai` SDK error; fails if it resolves. */
export async function sdkError(call: Promise<unknown>): Promise<SeenError> {
  try {
    await call;
  } catch (error) {
    const e = error as APIError;
    return {
      name: e.constructor.name,
      status: e.status,
      code: e.code,
      type: e.type,
      param: e.param,
      message: e.message,
      shouldRetry: e.headers?.get('x-should-retry'),
      retryAfter: e.headers?.get('retry-after'),
    };
  }
  throw new Error('the call answered');
}

/** Every client's upstream calls under way, by name: all 0 once nothing is left running. */
export function inFlight(served: GroupsUnderTest): Record<string, number> {
  const { runtime } = served;
  return Object.fromEntries(
    runtime.clients().map((name) => [name, runtime.health(name).requests.inFlight]),
  );
}

/** The upstream requests each member's server has had: `[primary, backup]`. */
export function asked(served: GroupsUnderTest): [number, number] {
  return [served.servers.primary!.requests, served.servers.backup!.requests];
}
