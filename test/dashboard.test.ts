import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway/server.js';
import { createRuntime, type ClientConfig, type Runtime } from '../src/index.js';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { launchChromium } from './support/chromium.js';

const ADMIN = 'admin-secret';
// HTML in an upstream error message: it must never reach the page as markup (nor, since the
// open views show no upstream text, at all).
const HOSTILE = '<img src=x onerror="window.__pwned=1">upstream is down';

let browser: Browser;
let steadyServer: TestServer;
let fragileServer: TestServer;
let runtime: Runtime;
let gateway: Gateway;
let page: Page;
const extraGateways: Gateway[] = [];

function openai(server: TestServer, extra: Partial<ClientConfig> = {}): ClientConfig {
  return { provider: 'openai', baseUrl: server.url, model: 'gpt-test', ...extra } as ClientConfig;
}

async function openDashboard(url: string): Promise<Page> {
  const p = await browser.newPage();
  await p.goto(url);
  await expect.poll(() => p.getByTestId('connection').textContent()).toBe('live');
  return p;
}

const card = (name: string): Locator => page.getByTestId(`card-${name}`);
const field = (name: string, testid: string): Promise<string | null> =>
  card(name).getByTestId(testid).textContent();
const state = (name: string, testid: string): Promise<string | null> =>
  card(name).getByTestId(testid).getAttribute('data-state');

/** Sends failing requests to `fragile` until its fuse opens. */
async function meltFragile(): Promise<void> {
  fragileServer.inject({
    kind: 'status',
    status: 500,
    body: JSON.stringify({ error: { message: HOSTILE } }),
  });
  for (let i = 0; i < 5 && runtime.health('fragile').fuse.state !== 'open'; i++) {
    await runtime
      .request('fragile', [{ role: 'user', content: `ping ${i}` }])
      .catch(() => undefined);
  }
  expect(runtime.health('fragile').fuse.state).toBe('open');
}

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  steadyServer = await startTestServer();
  fragileServer = await startTestServer();
  runtime = await createRuntime({
    clients: {
      steady: openai(steadyServer),
      fragile: openai(fragileServer, {
        fuse: { maxFailures: 2, resetMs: 60_000 },
        retry: false,
      }),
    },
    logger: false,
  });
  gateway = await createGateway(runtime, {
    port: 0,
    adminToken: ADMIN,
    eventsIntervalMs: 100,
    logger: false,
  });
  page = await openDashboard(gateway.url);
});

afterEach(async () => {
  await page?.close();
  for (const g of extraGateways.splice(0)) await g.close({ timeoutMs: 0 });
  await gateway?.close({ timeoutMs: 0 });
  await runtime?.stop({ timeoutMs: 0 });
  await Promise.all([steadyServer?.close(), fragileServer?.close()]);
});

describe('dashboard', () => {
  it('shows a card per client, running with its fuse closed', async () => {
    await expect.poll(() => page.locator('[data-testid^="card-"]').count()).toBe(2);
    for (const name of ['fragile', 'steady']) {
      await expect.poll(() => field(name, 'status')).toBe('running');
      expect(await state(name, 'fuse')).toBe('closed');
      expect(await field(name, 'model')).toBe('openai · gpt-test');
      expect(await field(name, 'restarts')).toBe('0');
      expect(await field(name, 'last-error')).toBe('no errors');
    }
  });

  it('shows the connection as reconnecting when the event stream drops', async () => {
    await gateway.close({ timeoutMs: 0 });
    await expect
      .poll(() => page.getByTestId('connection').getAttribute('data-state'))
      .toBe('reconnecting');
  });

  it('shows hit rate, latency and throughput as requests go through', async () => {
    const hi = [{ role: 'user' as const, content: 'hi' }];
    await runtime.request('steady', hi);
    await runtime.request('steady', hi);
    await expect.poll(() => field('steady', 'hit-rate')).toBe('50%');
    await expect.poll(() => field('steady', 'p50')).toMatch(/^\d+(\.\d+)? m?s$/);
    expect(await field('steady', 'p99')).toMatch(/^\d+(\.\d+)? m?s$/);
    await runtime.request('steady', [{ role: 'user', content: 'more' }]);
    const throughput = () => field('steady', 'throughput');
    await expect.poll(async () => Number(await throughput())).toBeGreaterThan(0);
    expect(await throughput()).toMatch(/^\d+\.\d$/);
  });

  it('shows a melted fuse with its retry countdown and the last error, the other card closed', async () => {
    await meltFragile();
    await expect.poll(() => state('fragile', 'fuse')).toBe('open');
    await expect.poll(() => field('fragile', 'retry-in')).toMatch(/^retry in \d+s$/);
    const left = Number(/\d+/.exec((await field('fragile', 'retry-in')) ?? '')?.[0]);
    const expected = (runtime.health('fragile').fuse.retryAt! - Date.now()) / 1000;
    expect(Math.abs(left - expected)).toBeLessThanOrEqual(2);
    const lastError = card('fragile').getByTestId('last-cause');
    await expect.poll(() => lastError.textContent()).toContain('PROVIDER_ERROR');
    // The code, a fixed reason and the status: the upstream's text (which may quote a prompt)
    // stays out.
    expect(await lastError.textContent()).toContain(
      'the provider answered with an error (HTTP 500)',
    );
    expect(await lastError.textContent()).not.toContain('upstream is down');
    expect(await card('fragile').locator('img').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await state('steady', 'fuse')).toBe('closed');
    expect(await field('steady', 'last-error')).toBe('no errors');
  });

  it('restarts a client with the admin token, and refuses a wrong one with 401', async () => {
    await meltFragile();
    await expect.poll(() => state('fragile', 'fuse')).toBe('open');
    const restart = card('fragile').getByTestId('restart');
    const result = card('fragile').getByTestId('restart-result');

    await page.getByTestId('admin-token').fill('wrong-token');
    await restart.click();
    await expect.poll(() => result.textContent()).toMatch(/^401 /);
    expect(await result.getAttribute('data-state')).toBe('error');
    expect(runtime.health('fragile').restarts).toBe(0);

    await page.getByTestId('admin-token').fill(ADMIN);
    await restart.click();
    await expect.poll(() => result.textContent()).toBe('restarted');
    expect(await result.getAttribute('data-state')).toBe('ok');
    expect(runtime.health('fragile').restarts).toBe(1);
    await expect.poll(() => field('fragile', 'restarts')).toBe('1');
    await expect.poll(() => state('fragile', 'fuse')).toBe('closed');
    expect(await field('steady', 'restarts')).toBe('0');
    expect(await page.evaluate("sessionStorage.getItem('llm-actors-admin-token')")).toBe(ADMIN);
  });

  it('shows 403 when the gateway has no admin token', async () => {
    const open = await createGateway(runtime, { port: 0, eventsIntervalMs: 100, logger: false });
    extraGateways.push(open);
    await page.close();
    page = await openDashboard(open.url);
    await page.getByTestId('admin-token').fill(ADMIN);
    await card('steady').getByTestId('restart').click();
    await expect.poll(() => field('steady', 'restart-result')).toMatch(/^403 /);
    expect(runtime.health('steady').restarts).toBe(0);
  });
});
