/**
 * A model-based test of the supervisor: random sequences of kills, kills with a request in
 * flight, crashes from inside a client, manual restarts, requests and clock advances, run
 * against a real runtime of three driver clients and checked after every step against a small
 * model of one_for_one supervision with restart intensity per client.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRuntime, type ClientHealth, type Runtime, type RuntimeEvent } from '../src/index.js';
import { failure } from './support/failure.js';
import { hang, testDriver, type TestDriver } from './support/driver.js';

const NAMES = ['a', 'b', 'c'] as const;
type Name = (typeof NAMES)[number];

/** More than MAX_RESTARTS crashes of one client within PERIOD_MS: failed. */
const MAX_RESTARTS = 2;
const PERIOD_MS = 1_000;

/** What the model knows of one client. */
interface ClientModel {
  status: 'running' | 'failed';
  restarts: number;
  /** Model times of the crashes counted so far (pruned lazily). */
  crashes: number[];
  /** requests.total as health reports it. */
  total: number;
}

interface Model {
  /** Model time: ms advanced since the runtime was created. */
  now: number;
  clients: Record<Name, ClientModel>;
}

/** The system under test, plus the per-client switches that the commands flip. */
interface Real {
  runtime: Runtime;
  drivers: Record<Name, TestDriver>;
  /** Clients whose backend hangs (until aborted) for the next call. */
  hanging: Set<Name>;
  /** Clients whose logger throws on its next debug line: a fault of the actor's own resource. */
  brokenLog: Set<Name>;
  /** Supervision events, drained by every command. */
  events: RuntimeEvent[];
  seq: number;
}

type Expected = Array<{ type: RuntimeEvent['type']; client: Name }>;

/** The model of a crash (kill or internal fault); returns the events it should emit. */
function crashModel(m: Model, name: Name): Expected {
  const c = m.clients[name];
  if (c.status !== 'running') return [];
  // The intensity window is the last PERIOD_MS, this crash included: (now - PERIOD_MS, now].
  c.crashes = [...c.crashes.filter((t) => t > m.now - PERIOD_MS), m.now];
  if (c.crashes.length > MAX_RESTARTS) {
    c.status = 'failed';
    return [
      { type: 'client:crashed', client: name },
      { type: 'client:failed', client: name },
    ];
  }
  c.restarts++;
  return [
    { type: 'client:crashed', client: name },
    { type: 'client:restarted', client: name },
  ];
}

const msg = (content: string) => [{ role: 'user' as const, content }];

function healthOf(r: Real): Record<Name, ClientHealth> {
  return r.runtime.health() as Record<Name, ClientHealth>;
}

/** Lets the immediate restart (an async rebuild) finish. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

/**
 * After every command: each client's status, restarts and request count match the model,
 * nothing is left in flight, the clients the command did not name are exactly as they were,
 * and the supervision events are exactly the expected ones.
 */
function verify(
  m: Model,
  r: Real,
  before: Record<Name, ClientHealth>,
  named: Name | undefined,
  expected: Expected,
): void {
  const after = healthOf(r);
  for (const name of NAMES) {
    const c = m.clients[name];
    expect(after[name], name).toMatchObject({
      status: c.status,
      restarts: c.restarts,
      requests: { total: c.total, inFlight: 0, queued: 0 },
    });
    if (name !== named) expect(after[name], `${name} untouched`).toEqual(before[name]);
  }
  const events = r.events.splice(0).map((e) => ({ type: e.type, client: e.client }));
  expect(events).toEqual(expected);
}

/** `runtime.kill(name)`; a failed client has no actor to kill. */
class Kill implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: Name) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const before = healthOf(r);
    r.runtime.kill(this.name);
    await settle();
    verify(m, r, before, this.name, crashModel(m, this.name));
  }
  toString = () => `Kill(${this.name})`;
}

/** A request hangs in the backend, then the client is killed under it. */
class KillWithInFlight implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: Name) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const before = healthOf(r);
    const driver = r.drivers[this.name];
    const calls = driver.calls.length;
    const running = m.clients[this.name].status === 'running';
    r.hanging.add(this.name);
    const pending = failure(r.runtime.request(this.name, msg(`hang ${r.seq++}`)));
    await settle();
    r.hanging.delete(this.name);
    m.clients[this.name].total++;
    if (running) {
      expect(driver.calls).toHaveLength(calls + 1);
      expect(r.runtime.health(this.name).requests.inFlight).toBe(1);
    } else {
      expect(driver.calls).toHaveLength(calls);
    }
    r.runtime.kill(this.name);
    const error = await pending;
    await settle();
    if (running) {
      expect(error.code).toBe('CLIENT_RESTARTED');
      expect(driver.calls[calls]!.signal.aborted).toBe(true);
    } else {
      expect(error.code).toBe('CLIENT_FAILED');
    }
    verify(m, r, before, this.name, crashModel(m, this.name));
  }
  toString = () => `KillWithInFlight(${this.name})`;
}

/** The client's own logger throws while it handles a request: a crash from inside. */
class CrashFromInside implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: Name) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const before = healthOf(r);
    const running = m.clients[this.name].status === 'running';
    r.brokenLog.add(this.name);
    const error = await failure(r.runtime.request(this.name, msg(`crash ${r.seq++}`)));
    // A failed client refuses before any of its code runs: the switch may still be set.
    r.brokenLog.delete(this.name);
    await settle();
    m.clients[this.name].total++;
    expect(error.code).toBe(running ? 'CLIENT_RESTARTED' : 'CLIENT_FAILED');
    verify(m, r, before, this.name, crashModel(m, this.name));
  }
  toString = () => `CrashFromInside(${this.name})`;
}

/** `runtime.restart(name)`: running again, intensity cleared, one more restart. */
class Restart implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: Name) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const before = healthOf(r);
    await r.runtime.restart(this.name);
    await settle();
    const c = m.clients[this.name];
    c.status = 'running';
    c.crashes = [];
    c.restarts++;
    verify(m, r, before, this.name, [{ type: 'client:restarted', client: this.name }]);
  }
  toString = () => `Restart(${this.name})`;
}

/** A plain request: answered when running, CLIENT_FAILED when failed. */
class Request implements fc.AsyncCommand<Model, Real> {
  constructor(readonly name: Name) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const before = healthOf(r);
    const content = `req ${r.seq++}`;
    const c = m.clients[this.name];
    c.total++;
    if (c.status === 'running') {
      await expect(r.runtime.request(this.name, msg(content))).resolves.toMatchObject({
        client: this.name,
        text: `echo: ${content}`,
      });
    } else {
      expect((await failure(r.runtime.request(this.name, msg(content)))).code).toBe(
        'CLIENT_FAILED',
      );
    }
    await settle();
    verify(m, r, before, this.name, []);
  }
  toString = () => `Request(${this.name})`;
}

/** Time passes: old crashes leave the intensity window. */
class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const before = healthOf(r);
    await vi.advanceTimersByTimeAsync(this.ms);
    m.now += this.ms;
    // Nothing is pending, so nothing but the clock changes: every client is untouched.
    verify(m, r, before, undefined, []);
  }
  toString = () => `Advance(${this.ms})`;
}

/**
 * Time passes up to one ms before, exactly at, or one ms after the moment the oldest crash of
 * `name` still in its window turns PERIOD_MS old (the edge of the intensity window). The step is
 * computed from the model, so a replay takes the same steps.
 */
class AdvanceToWindowEdge implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly name: Name,
    readonly offset: -1 | 0 | 1,
  ) {}
  private step(m: Readonly<Model>): number {
    const inWindow = m.clients[this.name].crashes.filter((t) => t > m.now - PERIOD_MS);
    if (inWindow.length === 0) return -1;
    return Math.min(...inWindow) + PERIOD_MS + this.offset - m.now;
  }
  check = (m: Readonly<Model>) => this.step(m) >= 0;
  async run(m: Model, r: Real): Promise<void> {
    await new Advance(this.step(m)).run(m, r);
  }
  toString = () => `AdvanceToWindowEdge(${this.name}, ${this.offset})`;
}

/** Mostly `a`, so that one client often reaches its intensity while the others look on. */
const name = fc.oneof(
  { arbitrary: fc.constant<Name>('a'), weight: 4 },
  { arbitrary: fc.constantFrom<Name>('b', 'c'), weight: 2 },
);
const commands = [
  name.map((n) => new Kill(n)),
  name.map((n) => new KillWithInFlight(n)),
  name.map((n) => new CrashFromInside(n)),
  name.map((n) => new Restart(n)),
  name.map((n) => new Request(n)),
  fc.integer({ min: 0, max: 1_500 }).map((ms) => new Advance(ms)),
  fc
    .tuple(name, fc.constantFrom<-1 | 0 | 1>(-1, 0, 1))
    .map(([n, offset]) => new AdvanceToWindowEdge(n, offset)),
];

/**
 * A pino logger at debug level (so the actors log debug lines) whose lines go nowhere, except
 * that a client's next debug line throws while that client is in `broken`.
 */
function breakableLogger(broken: Set<Name>): Logger {
  const sink = new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });
  return pino(
    {
      level: 'debug',
      hooks: {
        logMethod(args, method, level) {
          const client = this.bindings().client as Name | undefined;
          if (level === 20 && client !== undefined && broken.delete(client)) {
            throw new Error(`log disk of ${client} is gone`);
          }
          method.apply(this, args);
        },
      },
    },
    sink,
  );
}

async function setup(): Promise<Real> {
  const hanging = new Set<Name>();
  const brokenLog = new Set<Name>();
  const driverOf = (n: Name) =>
    testDriver((req) =>
      hanging.has(n) ? hang(req) : { text: `echo: ${req.messages.at(-1)?.content}` },
    );
  const drivers: Record<Name, TestDriver> = {
    a: driverOf('a'),
    b: driverOf('b'),
    c: driverOf('c'),
  };
  const runtime = await createRuntime({
    clients: { a: drivers.a.config, b: drivers.b.config, c: drivers.c.config },
    supervisor: { maxRestarts: MAX_RESTARTS, periodMs: PERIOD_MS },
    // A small LRU: each incarnation builds its own, and a default-sized one costs milliseconds.
    cache: { store: 'memory', maxEntries: 16 },
    logger: breakableLogger(brokenLog),
    clock: {
      now: () => Date.now(),
      setTimeout: (f, ms) => setTimeout(f, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      random: () => 0.5,
    },
  });
  const events: RuntimeEvent[] = [];
  runtime.on('*', (e) => {
    if (e.type === 'client:crashed' || e.type === 'client:restarted' || e.type === 'client:failed')
      events.push(e);
  });
  return { runtime, drivers, hanging, brokenLog, events, seq: 0 };
}

function initialModel(): Model {
  const fresh = (): ClientModel => ({ status: 'running', restarts: 0, crashes: [], total: 0 });
  return { now: 0, clients: { a: fresh(), b: fresh(), c: fresh() } };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('supervisor model', () => {
  it('restarts, fails and revives each client exactly as one_for_one with per-client intensity predicts, and never touches the others', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 25, size: 'max' }), async (cmds) => {
        vi.useFakeTimers();
        const real = await setup();
        try {
          await fc.asyncModelRun(() => ({ model: initialModel(), real }), cmds);
          let stopped = false;
          const stopping = real.runtime.stop({ timeoutMs: 0 }).then(() => {
            stopped = true;
          });
          await settle();
          expect(stopped, 'runtime.stop({ timeoutMs: 0 }) resolves').toBe(true);
          await stopping;
          expect(
            Object.values(real.runtime.clients()).map((c) => real.runtime.health(c).status),
          ).toEqual(['stopped', 'stopped', 'stopped']);
        } finally {
          await real.runtime.stop({ timeoutMs: 0 });
          vi.useRealTimers();
        }
      }),
      { numRuns: 300 },
    );
  });
});
