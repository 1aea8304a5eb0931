/**
 * The gateway under callers that hold connections without sending a request: half-sent headers
 * by the thousand, headers and bodies trickled in, more connections than the cap, a body still
 * arriving after its 401. Small timeouts stand in for the defaults.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { GatewayOptions } from '../src/gateway/index.js';
import { gatewayPerTest } from './support/gateway.js';
import { closed, open, received } from './support/raw-http.js';

const KEY = 'gateway-key-0123456789';
const HALF_SENT = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n';

const gw = gatewayPerTest();

async function start(options: GatewayOptions = {}): Promise<string> {
  const server = await gw.startUpstream();
  const gpt = { provider: 'openai', baseUrl: server.url, model: 'm', apiKey: 'sk-x' } as const;
  return (await gw.start({ gpt }, { apiKeys: [KEY], ...options })).url;
}

function chat(url: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }),
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('connections that send no whole request', () => {
  it('answers /livez and keyed chats while 2 000 half-sent requests are held, then closes them', async () => {
    const url = await start({ headersTimeoutMs: 3_000, requestTimeoutMs: 3_000 });
    // Half of them send the start of a request, half send nothing at all. Opened in batches
    // that the server accepts before the next: past its listen backlog, the kernel would hold
    // the silent ones half-accepted, out of the gateway's sight.
    let accepted = 0;
    gw.gateway!.server.on('connection', () => accepted++);
    const sockets: Socket[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const opened = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const socket = await open(url);
          if (i % 2 === 0) socket.write(HALF_SENT);
          return socket;
        }),
      );
      sockets.push(...opened);
      await expect.poll(() => accepted).toBe(sockets.length);
    }
    const livez = await fetch(`${url}/livez`);
    expect(livez.status).toBe(200);
    expect((await chat(url)).status).toBe(200);
    // Held while /livez answered (the first ones may have timed out on a slow machine).
    expect(sockets.filter((s) => s.closed).length).toBeLessThan(200);
    await Promise.all(sockets.map(closed));
    expect((await fetch(`${url}/livez`)).status).toBe(200);
  });

  it('closes a connection whose headers trickle in past headersTimeoutMs, with 408', async () => {
    const url = await start({ headersTimeoutMs: 300, requestTimeoutMs: 300 });
    const socket = await open(url);
    const answer = received(socket);
    const started = performance.now();
    const header = `${HALF_SENT}x-slow: ${'a'.repeat(100)}`;
    let i = 0;
    const drip = setInterval(
      () => socket.writable && socket.write(header[i++ % header.length]!),
      20,
    );
    await closed(socket);
    clearInterval(drip);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(answer.text).toMatch(/^HTTP\/1\.1 408/);
  });

  it('answers 408 BODY_TIMEOUT to a body trickled in past bodyTimeoutMs, and closes', async () => {
    const url = await start({ bodyTimeoutMs: 300 });
    const socket = await open(url);
    const answer = received(socket);
    socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n' +
        `authorization: Bearer ${KEY}\r\ncontent-length: 1000\r\n\r\n{`,
    );
    const drip = setInterval(() => socket.writable && socket.write(' '), 20);
    const started = performance.now();
    await closed(socket);
    clearInterval(drip);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(answer.text).toMatch(/^HTTP\/1\.1 408/);
    expect(answer.text).toContain('BODY_TIMEOUT');
  });

  it('closes the connection of an unkeyed request after its 401, without reading its body', async () => {
    const url = await start();
    const socket = await open(url);
    const answer = received(socket);
    socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-length: 100000\r\n\r\n{"model"',
    );
    const drip = setInterval(() => socket.writable && socket.write(' '), 20);
    await closed(socket);
    clearInterval(drip);
    expect(answer.text).toMatch(/^HTTP\/1\.1 401/);
    expect(answer.text.toLowerCase()).toContain('connection: close');
  });
});

describe('the connection cap', () => {
  it('answers 503 TOO_MANY_CONNECTIONS past maxConnections and closes, then serves again', async () => {
    const url = await start({ maxConnections: 20, headersTimeoutMs: 800, requestTimeoutMs: 800 });
    const held = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const socket = await open(url);
        socket.write(HALF_SENT);
        return socket;
      }),
    );
    await sleep(50);
    const extra = await open(url);
    const answer = received(extra);
    await closed(extra);
    expect(answer.text).toMatch(/^HTTP\/1\.1 503/);
    expect(answer.text).toContain('TOO_MANY_CONNECTIONS');
    expect(held.filter((s) => s.closed)).toHaveLength(0);
    await Promise.all(held.map(closed));
    expect((await fetch(`${url}/livez`)).status).toBe(200);
  });
});
