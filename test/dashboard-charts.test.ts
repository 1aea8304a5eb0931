import { createServer } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway/server.js';
import {
  createRuntime,
  type ClientConfig,
  type GroupHealth,
  type GroupSeriesPoints,
  type Runtime,
} from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { launchChromium } from './support/chromium.js';

let browser: Browser;
let upstream: TestServer | undefined;
let runtime: Runtime | undefined;
let gateway: Gateway | undefined;
let page: Page | undefined;

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  await page?.close();
  await gateway?.close({ timeoutMs: 0 });
  await runtime?.stop({ timeoutMs: 0 });
  await upstream?.close();
  page = gateway = runtime = upstream = undefined;
});

async function open(url: string): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 900, height: 1000 } });
  await p.goto(url);
  await expect.poll(() => p.getByTestId('connection').textContent()).toBe('live');
  return p;
}

/** What the pixel count reads of a canvas (the tests compile without the DOM's types). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  };
}

/** Pixels of a canvas that are not transparent. */
function painted(p: Page, selector: string): Promise<number> {
  return p.locator(selector).evaluate((node) => {
    const canvas = node as unknown as CanvasLike;
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });
}

/**
 * `seconds` seconds of requests to `name` (a client or a group), ending a few seconds ago: new
 * questions (misses, some slowed by the upstream) and repeated ones (hits). Returns how many
 * were sent.
 */
async function traffic(
  rt: Runtime,
  name: string,
  server: TestServer,
  seconds: number,
): Promise<number> {
  const end = Date.now() - 3_000;
  // Date goes on with real time from each second set, so that latencies are measured as usual.
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  let sent = 0;
  try {
    for (let s = seconds; s > 0; s--) {
      vi.setSystemTime(end - s * 1000);
      const wave = 2 + Math.round(Math.sin(s / 9));
      for (let i = 0; i < wave; i++) {
        const fresh = (s + i) % 3 === 0;
        if (fresh && s % 4 === 0)
          server.inject({ kind: 'latency', ms: 15 + (s % 5) * 10 }, { times: 1 });
        const content = fresh ? `question ${s}/${i}` : `question ${i % 2}`;
        await rt.request(name, [{ role: 'user', content }]);
        sent++;
      }
    }
  } finally {
    vi.useRealTimers();
  }
  return sent;
}

/** A gateway over one client of a testing upstream. */
async function oneClient(name: string): Promise<Gateway> {
  upstream = await startTestServer();
  runtime = await createRuntime({
    clients: { [name]: { provider: 'openai', baseUrl: upstream.url, model: 'm' } },
    logger: false,
  });
  return createGateway(runtime, { port: 0, logger: false });
}

describe('dashboard charts and causes', () => {
  it('charts the last minutes, shows the cause behind a melt, a caller fault, a parked client and a group', async () => {
    upstream = await startTestServer();
    const steady = {
      provider: 'openai',
      baseUrl: upstream.url,
      model: 'gpt-test',
      pricing: { inputPerMTok: 2.5, outputPerMTok: 10 },
    };
    const down = {
      provider: 'openai',
      baseUrl: `http://127.0.0.1:${await closedPort()}`,
      model: 'gpt-test',
      fuse: { maxFailures: 2, resetMs: 60_000 },
      retry: false,
    };
    const limited = { provider: 'openai', baseUrl: upstream.url, model: 'gpt-mini', retry: false };
    runtime = await createRuntime({
      clients: {
        steady: steady as ClientConfig,
        down: down as ClientConfig,
        limited: limited as ClientConfig,
      },
      groups: { chat: { members: ['down', 'steady'], strategy: 'fallback' } },
      logger: false,
    });
    gateway = await createGateway(runtime, { port: 0, eventsIntervalMs: 100, logger: false });

    // A minute and a half of traffic through the group, a second at a time on a clock set back
    // (Date alone: sockets and timers run as usual), so that the charts have lines to draw rather
    // than one spike. The melted primary fails the first calls over to `steady`.
    const sent = await traffic(runtime, 'chat', upstream, 90);
    // The caller's fault: the provider refuses the request as malformed.
    upstream.inject(
      { kind: 'status', status: 400, body: JSON.stringify({ error: { message: 'bad' } }) },
      { times: 1 },
    );
    await runtime.request('steady', [{ role: 'user', content: 'malformed' }]).catch(() => 0);
    for (let i = 0; i < 3; i++) {
      await runtime.request('down', [{ role: 'user', content: `ping ${i}` }]).catch(() => 0);
    }
    // A 429 that names a time parks `limited` for two minutes, its fuse left closed.
    upstream.inject({ kind: 'status', status: 429, retryAfter: 120 }, { times: 1 });
    await runtime.request('limited', [{ role: 'user', content: 'hello' }]).catch(() => 0);
    const health = runtime.health('down');
    expect(health.fuse.state).toBe('open');
    expect(health.lastError?.code).toBe('FUSE_OPEN');
    expect(health.lastCause?.code).toBe('NETWORK_ERROR');
    expect(runtime.health('steady').requests.callerFaults).toBe(1);
    expect(runtime.health('limited').parkedUntil).toBeGreaterThan(Date.now() + 60_000);
    const group = runtime.health<GroupHealth>('chat');
    expect(group.failovers).toBeGreaterThan(0);
    expect(group.requests.succeeded).toBe(sent);

    page = await open(gateway.url);
    const card = (name: string) => page!.getByTestId(`card-${name}`);

    const cause = card('down').getByTestId('last-cause');
    await expect.poll(() => cause.textContent()).toContain('NETWORK_ERROR');
    expect(await cause.textContent()).toContain('ECONNREFUSED');
    expect(await cause.getAttribute('data-kind')).toBe('cause');
    const rejection = card('down').getByTestId('last-error');
    expect(await rejection.textContent()).toContain('FUSE_OPEN');
    expect(await rejection.getAttribute('data-kind')).toBe('rejection');
    expect(await card('down').getAttribute('data-level')).toBe('bad');

    const steadyError = card('steady').getByTestId('last-error');
    expect(await steadyError.textContent()).toContain('caller fault');
    expect(await steadyError.getAttribute('data-kind')).toBe('caller');
    expect(await card('steady').getByTestId('last-cause').isHidden()).toBe(true);
    expect(await card('steady').getAttribute('data-level')).toBe('ok');
    expect(await card('steady').getByTestId('caller-faults').textContent()).toBe('1');
    expect(await card('steady').getByTestId('errors').textContent()).toBe('0');
    expect(await card('steady').getByTestId('total').textContent()).toBe(String(sent + 1));
    const cost = runtime.health('steady').cost!.usd;
    expect(cost).toBeGreaterThan(0);
    expect(await card('steady').getByTestId('cost').textContent()).toBe(`$${cost.toFixed(4)}`);

    for (const chart of ['requests', 'latency', 'tokens', 'cost']) {
      const canvas = `[data-testid="card-steady"] [data-testid="chart-${chart}"] canvas`;
      await expect.poll(() => page!.locator(canvas).count()).toBe(1);
      await expect.poll(() => painted(page!, canvas)).toBeGreaterThan(200);
    }
    const legend = await card('steady').getByTestId('chart-requests').textContent();
    expect(legend).toContain('hits');
    expect(legend).toContain('caller faults');
    // Every request `steady` paid for went into the window: the note sums the chart.
    expect(await card('steady').getByTestId('chart-note-cost').textContent()).toBe(
      `· $${cost.toFixed(4)} in the window`,
    );
    // No pricing, no cost chart.
    expect(await card('down').getByTestId('chart-cost').isHidden()).toBe(true);

    const parked = card('limited').getByTestId('parked');
    expect(await parked.textContent()).toMatch(/^parked 1\d\ds$/);
    expect(await parked.getAttribute('data-state')).toBe('parked');
    expect(await card('limited').getByTestId('fuse').getAttribute('data-state')).toBe('closed');
    expect(await card('limited').getAttribute('data-level')).toBe('warn');
    expect(await card('steady').getByTestId('parked').isHidden()).toBe(true);

    const chat = card('chat');
    expect(await chat.getByTestId('strategy').textContent()).toBe('fallback');
    const member = (name: string, testid: string) =>
      chat.getByTestId(`member-${name}`).getByTestId(testid).getAttribute('data-state');
    expect(await member('down', 'member-status')).toBe('running');
    expect(await member('down', 'member-fuse')).toBe('open');
    expect(await member('down', 'member-ready')).toBe('skipped');
    expect(await member('steady', 'member-fuse')).toBe('closed');
    expect(await member('steady', 'member-ready')).toBe('ready');
    expect(await chat.getByTestId('failovers').textContent()).toBe(String(group.failovers));
    expect(await chat.getByTestId('total').textContent()).toBe(String(sent));
    expect(await chat.getByTestId('errors').textContent()).toBe('0');
    expect(await chat.getByTestId('p99').textContent()).toMatch(/ms$/);
    expect(await chat.getByTestId('cost').textContent()).toBe(`$${cost.toFixed(4)}`);
    expect(await chat.getByTestId('last-error').getAttribute('data-kind')).toBe('none');
    const calls = '[data-testid="card-chat"] [data-testid="chart-calls"] canvas';
    await expect.poll(() => painted(page!, calls)).toBeGreaterThan(200);
    expect(await chat.getByTestId('chart-note-calls').textContent()).toBe(
      `· ${group.failovers} failovers in the window`,
    );
    const series = runtime.series<GroupSeriesPoints>('chat');
    expect(series.succeeded.reduce((a, b) => a + b, 0)).toBe(sent);
    expect(await chat.getAttribute('data-level')).toBe('warn');
    expect(await page.getByTestId('summary').textContent()).toMatch(/^3 clients · 1 group/);

    const screenshot = process.env.DASHBOARD_SCREENSHOT;
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  });

  it('serves the charting library from the gateway, with a long cache header', async () => {
    gateway = await oneClient('steady');
    const js = await fetch(`${gateway.url}/dashboard/assets/uplot.min.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toMatch(/max-age=\d{5,}/);
    expect(await js.text()).toContain('uPlot');
    const css = await fetch(`${gateway.url}/dashboard/assets/uplot.min.css`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    const other = await fetch(`${gateway.url}/dashboard/assets/..%2Fpackage.json`);
    expect(other.status).toBe(404);
    const series = (await (await fetch(`${gateway.url}/dashboard/series`)).json()) as {
      clients: Record<string, { hits: number[] }>;
    };
    expect(series.clients.steady!.hits).toHaveLength(300);
  });
});
