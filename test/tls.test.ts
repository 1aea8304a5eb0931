/**
 * TLS failures through the public API, against real local servers: one with a self-signed
 * certificate (test/support/tls, made with `openssl req -x509 … -days 36500 -subj /CN=localhost`)
 * and a plain HTTP server asked for TLS. Both are NETWORK_ERRORs that name TLS and the code,
 * and are not retried (a certificate does not heal between attempts).
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

const TLS = join(import.meta.dirname, 'support', 'tls');

let server: Server | undefined;
let requests = 0;
const { start } = runtimePerTest(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  requests = 0;
});

async function listen(s: Server): Promise<number> {
  server = s;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as AddressInfo).port;
}

async function requestTo(baseUrl: string) {
  const runtime = await start({
    clients: {
      c: { provider: 'openai', baseUrl, model: 'm', apiKey: 'sk-tls-test-key', cache: false },
    },
  });
  const e = await failure(runtime.request('c', hi));
  return { e, runtime };
}

describe('TLS failures', () => {
  it('types a self-signed certificate as a NETWORK_ERROR naming TLS, without a retry', async () => {
    const port = await listen(
      createHttpsServer(
        {
          key: readFileSync(join(TLS, 'self-signed.key')),
          cert: readFileSync(join(TLS, 'self-signed.crt')),
        },
        (_req, res) => {
          requests++;
          res.end('{}');
        },
      ),
    );
    const { e, runtime } = await requestTo(`https://localhost:${port}/v1`);
    expect(e).toMatchObject({ code: 'NETWORK_ERROR', retryable: false });
    expect(e.message).toMatch(/TLS failure \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    expect(requests).toBe(0);
    expect(runtime.health('c').lastError?.code).toBe('NETWORK_ERROR');
    // The provider is unreachable as configured: that is a failure for the fuse.
    expect(runtime.health('c').fuse.failures).toBe(1);
  });

  it('types TLS spoken to a plain HTTP server as a NETWORK_ERROR naming TLS', async () => {
    const port = await listen(
      createHttpServer((_req, res) => {
        requests++;
        res.end('{}');
      }),
    );
    const { e } = await requestTo(`https://127.0.0.1:${port}/v1`);
    expect(e).toMatchObject({ code: 'NETWORK_ERROR', retryable: false });
    expect(e.message).toMatch(/TLS failure \(ERR_SSL_[A-Z_]+\)/);
  });
});
