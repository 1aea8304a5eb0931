/**
 * failoverbench's cells against a group through the gateway, as tests run them: a cell's two
 * testing servers, a runtime with the faulty client and the healthy fallback in a fallback group
 * with the recommended settings (docs/failoverbench.md, time limits scaled down), the gateway over
 * it, and streamed calls with the official `openai` client — all closed after each test.
 */
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import { afterEach } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { createRuntime, type Clock, type GroupHealth, type Runtime } from '../../src/index.js';
import {
  FAILOVERBENCH_MODELS,
  seeFailoverbenchChunk,
  startFailoverbenchServers,
  type FailoverbenchCall,
  type FailoverbenchCell,
  type FailoverbenchObservation,
  type TestServer,
} from '../../src/testing/index.js';

/**
 * The client time limits of the tests: the recommended 10 s each, scaled down with the cells'
 * durations (the 20 s first token and the 30 s stall become 5 s), ten times under the faults.
 */
export const LIMITS = { firstTokenTimeoutMs: 500, idleTimeoutMs: 500 } as const;

/** The cells' durations in the tests: every fault several times its time limit. */
export const SCALED = { firstTokenMs: 5_000, stallMs: 5_000, boundMs: 10_000, hangBoundMs: 10_000 };

/** A cell started: its servers, the runtime and gateway, and an `openai` client of the gateway. */
export interface StartedCell {
  primary: TestServer;
  fallback: TestServer;
  runtime: Runtime;
  gateway: Gateway;
  sdk: OpenAI;
  /** Streams one call of the cell to the group `bench`; `startMs` is on the cell's clock. */
  call(startMs?: number): Promise<SeenCall>;
  /** What the cell's scorer needs. */
  observed(calls: FailoverbenchCall[]): FailoverbenchObservation;
  /** The group's health. */
  health(): GroupHealth;
}

/** A call as the scorer sees it, plus the gateway's `x-llm-actors-client` header. */
export interface SeenCall extends FailoverbenchCall {
  servedBy: string | null;
}

/** Registers the cleanup; `start` starts a cell (on `clock` and the servers' `now`, if given). */
export function failoverbenchPerTest(): {
  start(cell: FailoverbenchCell, clock?: Clock): Promise<StartedCell>;
} {
  const closing: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });
  return {
    async start(cell, clock) {
      const now = clock && (() => clock.now());
      const timed = (s: FailoverbenchCell['primary']) => ({ ...s, options: { ...s.options, now } });
      const servers = await startFailoverbenchServers(
        clock ? { ...cell, primary: timed(cell.primary), fallback: timed(cell.fallback) } : cell,
      );
      closing.push(servers.close);
      const client = (server: TestServer, model: string) => ({
        provider: 'openai' as const,
        baseUrl: server.url,
        model,
        apiKey: 'failoverbench',
        cache: false as const,
        ...LIMITS,
        fuse: { maxFailures: 3, windowMs: 30_000, resetMs: 10_000 },
      });
      const runtime = await createRuntime({
        logger: false,
        ...(clock && { clock }),
        clients: {
          primary: client(servers.primary, FAILOVERBENCH_MODELS.primary),
          fallback: client(servers.fallback, FAILOVERBENCH_MODELS.fallback),
        },
        groups: {
          bench: {
            members: ['primary', 'fallback'],
            strategy: 'fallback',
            resumeStreams: true,
            onContextOverflow: ['fallback'],
          },
        },
      });
      closing.push(() => runtime.stop({ timeoutMs: 0 }));
      const gateway = await createGateway(runtime, { port: 0, logger: false });
      closing.push(() => gateway.close({ timeoutMs: 0 }));
      // No SDK retries: every pass is the gateway's own, one gateway request per call.
      const sdk = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      return {
        ...servers,
        runtime,
        gateway,
        sdk,
        call: (startMs = 0) => streamOnce(sdk, cell.boundMs, startMs),
        observed: (calls) => ({
          calls,
          primaryRequests: servers.primary.requests,
          fallbackRequests: servers.fallback.requests,
        }),
        health: () => runtime.health<GroupHealth>('bench'),
      };
    },
  };
}

/** One streamed call of the group `bench`, abandoned at `boundMs` (real time). */
async function streamOnce(sdk: OpenAI, boundMs: number, startMs: number): Promise<SeenCall> {
  const started = performance.now();
  const abandon = AbortSignal.timeout(boundMs);
  const seen: SeenCall = {
    startMs,
    ms: 0,
    text: '',
    completed: false,
    abandoned: false,
    servedBy: null,
  };
  try {
    const { data, response } = await sdk.chat.completions
      .create(
        {
          model: 'bench',
          messages: [{ role: 'user', content: 'Count from t01 to t60.' }],
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: abandon },
      )
      .withResponse();
    seen.servedBy = response.headers.get('x-llm-actors-client');
    for await (const chunk of data) seeFailoverbenchChunk(seen, chunk);
    seen.completed = true;
  } catch (error) {
    const e = error as { status?: number; code?: string | null; message?: string };
    seen.error = { status: e.status, code: e.code, message: e.message ?? String(error) };
  }
  seen.abandoned = abandon.aborted;
  seen.ms = performance.now() - started;
  return seen;
}
