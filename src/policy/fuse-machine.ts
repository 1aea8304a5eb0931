/**
 * The fuse's xstate machine: its context, its events, and the transitions of the three states
 * that src/policy/fuse.ts describes. The request path never talks to it directly (see Fuse).
 */
import { assign, setup } from 'xstate';
import type { FuseConfig } from '../config/types.js';

/** What the machine remembers. */
export interface FuseContext {
  config: FuseConfig;
  failures: number[];
  melts: number;
  consecutiveOpens: number;
  openedAt: number | null;
  retryAt: number | null;
  probing: boolean;
}

/** What the machine is told. */
export type FuseEvent =
  | { type: 'FAILURE'; at: number; probe: boolean }
  | { type: 'SUCCESS'; probe: boolean }
  | { type: 'PROBE' }
  | { type: 'PROBE_RELEASE' }
  | { type: 'REMOTE_OPEN'; at: number; durationMs: number }
  | { type: 'REMOTE_CLOSE' }
  | { type: 'DUE'; at: number; capMs?: number };

/** The time `consecutiveOpens` keeps a fuse open, ms. */
function openDuration(config: FuseConfig, consecutiveOpens: number): number {
  // Whole milliseconds: a fractional backoffFactor must not make retryAt fractional, nor let the
  // reset timer (which truncates) turn the fuse half_open before retryAt.
  return Math.ceil(
    Math.min(config.resetMs * config.backoffFactor ** (consecutiveOpens - 1), config.maxResetMs),
  );
}

/** The failure times still inside the window at `at`. */
export function inWindow(failures: number[], at: number, windowMs: number): number[] {
  return failures.filter((t) => at - t < windowMs);
}

/** The fuse machine (one actor per incarnation). */
export const fuseMachine = setup({
  types: {
    context: {} as FuseContext,
    events: {} as FuseEvent,
    input: {} as { config: FuseConfig },
  },
  guards: {
    reachesMax: ({ context, event }) =>
      event.type === 'FAILURE' &&
      inWindow(context.failures, event.at, context.config.windowMs).length + 1 >=
        context.config.maxFailures,
    isProbe: ({ event }) => (event.type === 'FAILURE' || event.type === 'SUCCESS') && event.probe,
    probeFree: ({ context }) => !context.probing,
    // `capMs`: a group with somewhere else to send traffic caps the open time (see Fuse.cap).
    due: ({ context, event }) =>
      event.type === 'DUE' &&
      ((context.retryAt !== null && event.at >= context.retryAt) ||
        (event.capMs !== undefined &&
          context.openedAt !== null &&
          event.at >= context.openedAt + event.capMs)),
  },
  actions: {
    record: assign({
      failures: ({ context, event }) =>
        event.type === 'FAILURE'
          ? [...inWindow(context.failures, event.at, context.config.windowMs), event.at]
          : context.failures,
    }),
    melt: assign(({ context, event }) => {
      const at = event.type === 'FAILURE' ? event.at : 0;
      const consecutiveOpens = context.consecutiveOpens + 1;
      const failures =
        context.openedAt === null
          ? [...inWindow(context.failures, at, context.config.windowMs), at]
          : context.failures;
      return {
        failures,
        melts: context.melts + 1,
        consecutiveOpens,
        openedAt: at,
        retryAt: at + openDuration(context.config, consecutiveOpens),
        probing: false,
      };
    }),
    clear: assign({
      failures: () => [],
      consecutiveOpens: 0,
      openedAt: null,
      retryAt: null,
      probing: false,
    }),
    remoteMelt: assign(({ context, event }) => {
      if (event.type !== 'REMOTE_OPEN') return {};
      return {
        failures: [],
        melts: context.melts + 1,
        consecutiveOpens: context.consecutiveOpens + 1,
        openedAt: event.at,
        retryAt: event.at + Math.max(1, Math.ceil(event.durationMs)),
        probing: false,
      };
    }),
    takeProbe: assign({ probing: true }),
    releaseProbe: assign({ probing: false }),
  },
  delays: {
    resetDelay: ({ context }) => (context.retryAt ?? 0) - (context.openedAt ?? 0),
  },
}).createMachine({
  id: 'fuse',
  initial: 'closed',
  context: ({ input }) => ({
    config: input.config,
    failures: [],
    melts: 0,
    consecutiveOpens: 0,
    openedAt: null,
    retryAt: null,
    probing: false,
  }),
  states: {
    closed: {
      on: {
        FAILURE: [{ guard: 'reachesMax', target: 'open', actions: 'melt' }, { actions: 'record' }],
        REMOTE_OPEN: { target: 'open', actions: 'remoteMelt' },
      },
    },
    open: {
      after: { resetDelay: 'half_open' },
      on: {
        REMOTE_CLOSE: { target: 'closed', actions: 'clear' },
        DUE: { guard: 'due', target: 'half_open' },
      },
    },
    half_open: {
      on: {
        PROBE: { guard: 'probeFree', actions: 'takeProbe' },
        PROBE_RELEASE: { actions: 'releaseProbe' },
        SUCCESS: { guard: 'isProbe', target: 'closed', actions: 'clear' },
        FAILURE: { guard: 'isProbe', target: 'open', actions: 'melt' },
        REMOTE_CLOSE: { target: 'closed', actions: 'clear' },
      },
    },
  },
});
