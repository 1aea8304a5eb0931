/**
 * The dashboards' event stream against readers that never read: what the gateway holds for one
 * stays within its budget, and the reader is dropped while the ones that read go on.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../src/index.js';
import { gatewayPerTest } from './support/gateway.js';
import { open, received } from './support/raw-http.js';

const BUDGET = 64 * 1024;

const gw = gatewayPerTest();

/** The gateway's side of the next connection `connect` makes. */
async function serverSide(connect: () => Promise<Socket>): Promise<[Socket, Socket]> {
  const accepted = new Promise<Socket>((resolve) => gw.gateway!.server.once('connection', resolve));
  const client = await connect();
  return [client, await accepted];
}

describe('GET /events', () => {
  it(`drops a reader that never reads once it is ${BUDGET} bytes behind, and keeps the others`, async () => {
    const upstream = await gw.startUpstream();
    // 100 clients and a snapshot every 5 ms: ~45 kB each, so the kernel's buffers fill quickly.
    const clients: Record<string, ClientConfig> = {};
    for (let i = 0; i < 100; i++) {
      clients[`c${i}`] = { provider: 'openai', baseUrl: upstream.url, model: 'm', apiKey: 'k' };
    }
    await gw.start(clients, { eventsBufferBytes: BUDGET, eventsIntervalMs: 5 });
    const subscribe = async () => {
      const socket = await open(gw.gateway!.url);
      socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
      return socket;
    };
    const [slow, slowServer] = await serverSide(subscribe);
    slow.pause();
    const [fast, fastServer] = await serverSide(subscribe);
    const seen = received(fast);
    let mostHeld = 0;
    const sample = setInterval(() => {
      mostHeld = Math.max(mostHeld, slowServer.writableLength);
    }, 1);
    await expect.poll(() => slowServer.destroyed, { timeout: 15_000 }).toBe(true);
    clearInterval(sample);
    const snapshot = seen.text.length / (seen.text.split('event: health').length - 1);
    expect(mostHeld).toBeLessThanOrEqual(BUDGET + snapshot * 2);
    expect(fastServer.destroyed).toBe(false);
    const before = seen.text.length;
    await expect.poll(() => seen.text.length).toBeGreaterThan(before);
  });
});
