import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Fuse, type FuseSnapshot, type FuseState, type FuseTicket } from '../src/policy/fuse.js';
import { systemClock, type Clock } from '../src/model/clock.js';
import type { FuseConfig } from '../src/config/types.js';

const CONFIG: FuseConfig = {
  maxFailures: 5,
  windowMs: 10_000,
  resetMs: 10_000,
  backoffFactor: 2,
  maxResetMs: 300_000,
};

/** A clock on the (faked) globals. */
const fakeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  random: () => 0.5,
};

interface Harness {
  fuse: Fuse;
  changes: Array<{ snapshot: FuseSnapshot; previous: FuseState }>;
  errors: unknown[];
}

let fuses: Fuse[] = [];

function makeFuse(config: Partial<FuseConfig> = {}, clock: Clock = fakeClock): Harness {
  const changes: Harness['changes'] = [];
  const errors: unknown[] = [];
  const fuse = new Fuse(
    { ...CONFIG, ...config },
    clock,
    (snapshot, previous) => changes.push({ snapshot, previous }),
    (e) => errors.push(e),
  );
  fuses.push(fuse);
  return { fuse, changes, errors };
}

function fail(fuse: Fuse, times: number, gapMs = 0): void {
  for (let i = 0; i < times; i++) {
    if (i > 0 && gapMs > 0) vi.advanceTimersByTime(gapMs);
    fuse.report('failure', false);
  }
}

/** Melts a closed fuse and returns the melt time. */
function melt(fuse: Fuse, maxFailures = CONFIG.maxFailures): number {
  fail(fuse, maxFailures);
  expect(fuse.snapshot().state).toBe('open');
  return Date.now();
}

/** From open: waits out the open time and fails the probe. Returns the new open time. */
function failProbe(fuse: Fuse): number {
  const { retryAt } = fuse.snapshot();
  vi.advanceTimersByTime(retryAt! - Date.now());
  expect(fuse.snapshot().state).toBe('half_open');
  const ticket = fuse.ask();
  expect(ticket).toEqual({ ok: true, probe: true });
  fuse.report('failure', true);
  expect(fuse.snapshot().state).toBe('open');
  return fuse.snapshot().retryAt! - Date.now();
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
});

afterEach(() => {
  for (const fuse of fuses) fuse.stop();
  fuses = [];
  vi.useRealTimers();
});

describe('Fuse: closed', () => {
  it('starts closed with no failures, melts or retryAt and lets requests through', () => {
    const { fuse } = makeFuse();
    expect(fuse.snapshot()).toEqual({ state: 'closed', failures: 0, melts: 0, retryAt: null });
    expect(fuse.ask()).toEqual({ ok: true, probe: false });
    expect(fuse.peek()).toEqual({ ok: true, probe: false });
  });

  it('records failures below the limit without melting', () => {
    const { fuse, changes } = makeFuse();
    fail(fuse, 4);
    expect(fuse.snapshot()).toEqual({ state: 'closed', failures: 4, melts: 0, retryAt: null });
    expect(fuse.ask()).toEqual({ ok: true, probe: false });
    expect(changes).toEqual([]);
  });

  it('melts after five failures within the window', () => {
    const { fuse, changes } = makeFuse();
    fail(fuse, 5, 1_000);
    const now = Date.now();
    expect(fuse.snapshot()).toEqual({
      state: 'open',
      failures: 5,
      melts: 1,
      retryAt: now + CONFIG.resetMs,
    });
    expect(changes).toEqual([
      {
        snapshot: { state: 'open', failures: 5, melts: 1, retryAt: now + CONFIG.resetMs },
        previous: 'closed',
      },
    ]);
  });

  it('does not melt when five failures are spread over more than the window', () => {
    const { fuse, changes } = makeFuse();
    fail(fuse, 5, 2_500); // first and fifth are 10 000 ms apart: the first has dropped out
    expect(fuse.snapshot().state).toBe('closed');
    expect(fuse.snapshot().failures).toBe(4);
    expect(changes).toEqual([]);
    fuse.report('failure', false);
    expect(fuse.snapshot().state).toBe('open');
  });

  it('counts only the failures inside the window at the current time', () => {
    const { fuse } = makeFuse();
    fail(fuse, 3, 1_000); // at t, t+1000, t+2000
    expect(fuse.snapshot().failures).toBe(3);
    vi.advanceTimersByTime(CONFIG.windowMs - 2_000 - 1); // t+9999: all still inside
    expect(fuse.snapshot().failures).toBe(3);
    vi.advanceTimersByTime(1); // t+10000: the first drops out
    expect(fuse.snapshot().failures).toBe(2);
    vi.advanceTimersByTime(2_000);
    expect(fuse.snapshot().failures).toBe(0);
  });

  it('ignores successes and neutral outcomes while closed', () => {
    const { fuse } = makeFuse();
    fail(fuse, 3);
    fuse.report('success', false);
    fuse.report('neutral', false);
    fuse.report('success', true);
    fuse.report('neutral', true);
    expect(fuse.snapshot()).toEqual({ state: 'closed', failures: 3, melts: 0, retryAt: null });
    fail(fuse, 2);
    expect(fuse.snapshot().state).toBe('open');
  });

  it('melts on the first failure when maxFailures is 1', () => {
    const { fuse } = makeFuse({ maxFailures: 1 });
    fuse.report('failure', false);
    expect(fuse.snapshot()).toMatchObject({ state: 'open', failures: 1, melts: 1 });
  });
});

describe('Fuse: open', () => {
  it('rejects asks with retryAt = openedAt + resetMs, and peek agrees', () => {
    const { fuse } = makeFuse();
    const openedAt = melt(fuse);
    expect(fuse.ask()).toEqual({ ok: false, retryAt: openedAt + CONFIG.resetMs });
    expect(fuse.peek()).toEqual({ ok: false, retryAt: openedAt + CONFIG.resetMs });
    vi.advanceTimersByTime(CONFIG.resetMs - 1);
    expect(fuse.ask()).toEqual({ ok: false, retryAt: openedAt + CONFIG.resetMs });
  });

  it('turns half_open by itself once resetMs has passed', () => {
    const { fuse, changes } = makeFuse();
    const openedAt = melt(fuse);
    vi.advanceTimersByTime(CONFIG.resetMs - 1);
    expect(fuse.snapshot().state).toBe('open');
    vi.advanceTimersByTime(1);
    expect(fuse.snapshot()).toEqual({
      state: 'half_open',
      failures: 5,
      melts: 1,
      retryAt: openedAt + CONFIG.resetMs,
    });
    expect(changes.map((c) => [c.previous, c.snapshot.state])).toEqual([
      ['closed', 'open'],
      ['open', 'half_open'],
    ]);
  });

  it('changes nothing on success, failure or neutral reports while open', () => {
    const { fuse, changes } = makeFuse();
    melt(fuse);
    const before = fuse.snapshot();
    for (const outcome of ['success', 'failure', 'neutral'] as const) {
      fuse.report(outcome, false);
      fuse.report(outcome, true);
    }
    expect(fuse.snapshot()).toEqual(before);
    expect(changes).toHaveLength(1);
    vi.advanceTimersByTime(CONFIG.resetMs);
    expect(fuse.snapshot().state).toBe('half_open');
  });

  it('keeps the failures counted at the melt while open, even after the window', () => {
    const { fuse } = makeFuse({ resetMs: 60_000, maxResetMs: 60_000 });
    melt(fuse);
    vi.advanceTimersByTime(30_000);
    expect(fuse.snapshot()).toMatchObject({ state: 'open', failures: 5 });
  });
});

describe('Fuse: half_open', () => {
  it('gives the probe to the first asker only', () => {
    const { fuse } = makeFuse();
    const openedAt = melt(fuse);
    vi.advanceTimersByTime(CONFIG.resetMs);
    expect(fuse.peek()).toEqual({ ok: true, probe: true });
    expect(fuse.ask()).toEqual({ ok: true, probe: true });
    expect(fuse.ask()).toEqual({ ok: false, retryAt: openedAt + CONFIG.resetMs });
    expect(fuse.peek()).toEqual({ ok: false, retryAt: openedAt + CONFIG.resetMs });
    expect(fuse.snapshot().state).toBe('half_open');
  });

  it('peek takes no probe', () => {
    const { fuse } = makeFuse();
    melt(fuse);
    vi.advanceTimersByTime(CONFIG.resetMs);
    expect(fuse.peek()).toEqual({ ok: true, probe: true });
    expect(fuse.peek()).toEqual({ ok: true, probe: true });
    expect(fuse.ask()).toEqual({ ok: true, probe: true });
  });

  it('closes on probe success with failures cleared', () => {
    const { fuse, changes } = makeFuse();
    melt(fuse);
    vi.advanceTimersByTime(CONFIG.resetMs);
    fuse.ask();
    fuse.report('success', true);
    expect(fuse.snapshot()).toEqual({ state: 'closed', failures: 0, melts: 1, retryAt: null });
    expect(changes.at(-1)).toEqual({
      snapshot: { state: 'closed', failures: 0, melts: 1, retryAt: null },
      previous: 'half_open',
    });
    expect(fuse.ask()).toEqual({ ok: true, probe: false });
    fail(fuse, 4);
    expect(fuse.snapshot().state).toBe('closed');
  });

  it('resets the backoff after a probe success: the next melt opens for resetMs again', () => {
    const { fuse } = makeFuse();
    melt(fuse);
    expect(failProbe(fuse)).toBe(20_000);
    expect(failProbe(fuse)).toBe(40_000);
    vi.advanceTimersByTime(40_000);
    fuse.ask();
    fuse.report('success', true);
    const openedAt = melt(fuse);
    expect(fuse.snapshot()).toMatchObject({ melts: 4, retryAt: openedAt + CONFIG.resetMs });
  });

  it('reopens on probe failure for resetMs*factor, then *factor^2, capped at maxResetMs', () => {
    const { fuse, changes } = makeFuse({ resetMs: 1_000, backoffFactor: 3, maxResetMs: 20_000 });
    melt(fuse);
    expect(fuse.snapshot().retryAt! - Date.now()).toBe(1_000);
    expect(failProbe(fuse)).toBe(3_000);
    expect(failProbe(fuse)).toBe(9_000);
    expect(failProbe(fuse)).toBe(20_000); // 27 000 capped
    expect(failProbe(fuse)).toBe(20_000);
    expect(fuse.snapshot().melts).toBe(5);
    expect(
      changes.filter((c) => c.snapshot.state === 'open' && c.previous === 'half_open'),
    ).toHaveLength(4);
  });

  it('keeps retryAt on whole milliseconds and not half_open before it with a fractional backoffFactor', () => {
    const { fuse } = makeFuse({ maxFailures: 1, resetMs: 5, backoffFactor: 1.5, maxResetMs: 100 });
    melt(fuse, 1);
    expect(failProbe(fuse)).toBe(8); // 7.5 rounded up
    expect(Number.isInteger(fuse.snapshot().retryAt)).toBe(true);
    vi.advanceTimersByTime(7);
    expect(fuse.snapshot().state).toBe('open');
    vi.advanceTimersByTime(1);
    expect(fuse.snapshot().state).toBe('half_open');
  });

  it('stays open for the whole backoff step before turning half_open again', () => {
    const { fuse } = makeFuse();
    melt(fuse);
    failProbe(fuse);
    const retryAt = fuse.snapshot().retryAt!;
    expect(fuse.ask()).toEqual({ ok: false, retryAt });
    vi.advanceTimersByTime(19_999);
    expect(fuse.snapshot().state).toBe('open');
    vi.advanceTimersByTime(1);
    expect(fuse.snapshot().state).toBe('half_open');
  });

  it('keeps the failures counted at the melt through probe failures', () => {
    const { fuse } = makeFuse();
    melt(fuse);
    failProbe(fuse);
    expect(fuse.snapshot()).toMatchObject({ state: 'open', failures: 5, melts: 2 });
  });

  it('releases the probe on a neutral report so the next asker gets it', () => {
    const { fuse } = makeFuse();
    melt(fuse);
    vi.advanceTimersByTime(CONFIG.resetMs);
    expect(fuse.ask()).toEqual({ ok: true, probe: true });
    expect(fuse.ask().ok).toBe(false);
    fuse.report('neutral', true);
    expect(fuse.snapshot().state).toBe('half_open');
    expect(fuse.ask()).toEqual({ ok: true, probe: true });
    expect(fuse.ask().ok).toBe(false);
  });

  it('ignores non-probe reports while half_open', () => {
    const { fuse, changes } = makeFuse();
    melt(fuse);
    vi.advanceTimersByTime(CONFIG.resetMs);
    fuse.ask();
    const before = fuse.snapshot();
    const changesBefore = changes.length;
    fuse.report('failure', false);
    fuse.report('success', false);
    fuse.report('neutral', false);
    expect(fuse.snapshot()).toEqual(before);
    expect(changes).toHaveLength(changesBefore);
    expect(fuse.ask().ok).toBe(false); // the probe is still out
    fuse.report('success', true);
    expect(fuse.snapshot().state).toBe('closed');
  });
});

describe('Fuse: melts and stop', () => {
  it('counts every opening in melts, from closed and from half_open', () => {
    const { fuse } = makeFuse({ maxFailures: 2 });
    melt(fuse, 2);
    failProbe(fuse);
    vi.advanceTimersByTime(fuse.snapshot().retryAt! - Date.now());
    fuse.ask();
    fuse.report('success', true);
    melt(fuse, 2);
    expect(fuse.snapshot().melts).toBe(3);
  });

  it('leaves no timer pending after stop()', () => {
    const { fuse } = makeFuse();
    melt(fuse);
    expect(vi.getTimerCount()).toBe(1);
    fuse.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not call onChange after stop()', () => {
    const { fuse, changes } = makeFuse();
    melt(fuse);
    fuse.stop();
    vi.advanceTimersByTime(CONFIG.resetMs * 2);
    expect(changes).toHaveLength(1);
  });

  it('leaves no timer pending after it closes again', () => {
    const { fuse } = makeFuse();
    melt(fuse);
    vi.advanceTimersByTime(CONFIG.resetMs);
    fuse.ask();
    fuse.report('success', true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('works with systemClock under fake timers installed after import', () => {
    const { fuse } = makeFuse({}, systemClock);
    const openedAt = melt(fuse);
    expect(fuse.snapshot().retryAt).toBe(openedAt + CONFIG.resetMs);
    vi.advanceTimersByTime(CONFIG.resetMs);
    expect(fuse.snapshot().state).toBe('half_open');
  });

  it('reports no error to onError during a full cycle', () => {
    const { fuse, errors } = makeFuse();
    melt(fuse);
    failProbe(fuse);
    vi.advanceTimersByTime(20_000);
    fuse.ask();
    fuse.report('success', true);
    expect(errors).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Model-based property: the fuse against a small reference model.

interface Model {
  state: FuseState;
  failures: number[];
  melts: number;
  opens: number;
  retryAt: number | null;
  probing: boolean;
}

type Command =
  | { kind: 'ask' }
  | { kind: 'peek' }
  | { kind: 'report'; outcome: 'success' | 'failure' | 'neutral'; ticket: number }
  | { kind: 'advance'; ms: number };

function modelMelt(m: Model, config: FuseConfig, now: number): void {
  m.melts++;
  m.opens++;
  m.state = 'open';
  m.retryAt =
    now +
    Math.ceil(Math.min(config.resetMs * config.backoffFactor ** (m.opens - 1), config.maxResetMs));
  m.probing = false;
}

function inWindow(m: Model, config: FuseConfig, now: number): number[] {
  return m.failures.filter((t) => now - t < config.windowMs);
}

function modelAsk(m: Model, take: boolean): FuseTicket {
  if (m.state === 'closed') return { ok: true, probe: false };
  if (m.state === 'half_open' && !m.probing) {
    if (take) m.probing = true;
    return { ok: true, probe: true };
  }
  return { ok: false, retryAt: m.retryAt };
}

function modelReport(
  m: Model,
  config: FuseConfig,
  outcome: 'success' | 'failure' | 'neutral',
  probe: boolean,
  now: number,
): void {
  if (outcome === 'failure') {
    if (m.state === 'closed') {
      m.failures = [...inWindow(m, config, now), now];
      if (m.failures.length >= config.maxFailures) modelMelt(m, config, now);
    } else if (m.state === 'half_open' && probe) {
      modelMelt(m, config, now);
    }
  } else if (m.state === 'half_open' && probe) {
    if (outcome === 'success') {
      m.state = 'closed';
      m.failures = [];
      m.opens = 0;
      m.retryAt = null;
    }
    m.probing = false;
  }
}

function modelSnapshot(m: Model, config: FuseConfig, now: number): FuseSnapshot {
  return {
    state: m.state,
    failures: m.state === 'closed' ? inWindow(m, config, now).length : m.failures.length,
    melts: m.melts,
    retryAt: m.state === 'closed' ? null : m.retryAt,
  };
}

/** expect(actual).toEqual(expected), with a cheap check first (it runs thousands of times). */
function same(actual: object, expected: object): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual).toEqual(expected);
}

const configArb = fc
  .record({
    maxFailures: fc.integer({ min: 1, max: 4 }),
    windowMs: fc.integer({ min: 1, max: 50 }),
    resetMs: fc.integer({ min: 1, max: 40 }),
    backoffFactor: fc.constantFrom(1, 1.5, 2, 3),
    extraReset: fc.integer({ min: 0, max: 150 }),
  })
  .map(({ extraReset, ...c }): FuseConfig => ({ ...c, maxResetMs: c.resetMs + extraReset }));

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'ask' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'peek' } as const) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('report' as const),
      outcome: fc.constantFrom('success' as const, 'failure' as const, 'neutral' as const),
      ticket: fc.oneof(fc.constant(0), fc.nat({ max: 20 })),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 60 }),
    }),
  },
);

describe('Fuse: model-based property', () => {
  it('matches the reference model in state, failures, melts and retryAt after every command', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.array(commandArb, { minLength: 10, maxLength: 40, size: 'max' }),
        (config, commands) => {
          const fuse = new Fuse(
            config,
            fakeClock,
            () => {},
            (e) => {
              throw e;
            },
          );
          try {
            const model: Model = {
              state: 'closed',
              failures: [],
              melts: 0,
              opens: 0,
              retryAt: null,
              probing: false,
            };
            // Tickets handed out and not reported yet; a report picks one, most often the latest
            // (or reports a non-probe outcome when there is none), as the client actor does.
            const tickets: boolean[] = [];
            for (const command of commands) {
              switch (command.kind) {
                case 'ask': {
                  const expected = modelAsk(model, true);
                  const got = fuse.ask();
                  same(got, expected);
                  if (got.ok) tickets.push(got.probe);
                  break;
                }
                case 'peek':
                  same(fuse.peek(), modelAsk(model, false));
                  break;
                case 'report': {
                  const probe =
                    tickets.length === 0
                      ? false
                      : tickets.splice(-1 - (command.ticket % tickets.length), 1)[0]!;
                  fuse.report(command.outcome, probe);
                  modelReport(model, config, command.outcome, probe, Date.now());
                  break;
                }
                case 'advance': {
                  vi.advanceTimersByTime(command.ms);
                  if (model.state === 'open' && Date.now() >= model.retryAt!) {
                    model.state = 'half_open';
                  }
                  break;
                }
              }
              same(fuse.snapshot(), modelSnapshot(model, config, Date.now()));
            }
          } finally {
            fuse.stop();
          }
          expect(vi.getTimerCount()).toBe(0);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
