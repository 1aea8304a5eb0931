/**
 * Secrets an upstream echoes in forms other than the exact string — the last characters of the
 * key, the key in upper case, base64 of it (alone or inside a Basic credential) — and credential
 * headers outside any fixed list (x-goog-api-key, Ocp-Apim-Subscription-Key, X-Auth-Token) must
 * never come back out in errors, health or history; an answer that reflects a secret is never
 * cached; a secret that could not be sent (CR/LF, a trailing newline) is refused at start-up
 * without being repeated. All through the public API against real local servers.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRuntime, type ClientConfig, type LlmActorsError } from '../src/index.js';
import { hi } from './support/driver.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

const KEY = `sk-proj-${randomBytes(24).toString('base64url')}`;
const HEADERS = {
  'x-goog-api-key': `AIza${randomBytes(16).toString('hex')}`,
  'Ocp-Apim-Subscription-Key': randomBytes(16).toString('hex'),
  'X-Auth-Token': `tok_${randomBytes(16).toString('hex')}`,
};

/** Every form of `secret` that must not appear: whole, by case, its tails, base64. */
function formsOf(secret: string): string[] {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return [
    secret,
    secret.toUpperCase(),
    secret.toLowerCase(),
    secret.slice(-8),
    secret.slice(-12),
    b64(secret),
    Buffer.from(secret).toString('base64url'),
    // Inside a longer encoded text: the middle of base64("user:<secret>").
    b64(`user:${secret}`).slice(8, -4),
  ];
}

/** The forms of any of `secrets` found in `text`. */
function leaked(text: string, secrets: readonly string[]): string[] {
  return secrets.flatMap(formsOf).filter((form) => text.includes(form));
}

let server: Server | undefined;
let dir: string | undefined;
const { start } = runtimePerTest(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** An upstream answering each request with `answer(headers)`: [status, JSON body]. */
async function upstream(answer: (headers: IncomingHttpHeaders) => [number, unknown]) {
  const seen = { requests: 0 };
  server = createServer((req, res) => {
    seen.requests++;
    req.resume().on('end', () => {
      const [status, body] = answer(req.headers);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, seen };
}

async function runtimeFor(url: string, fields: Partial<ClientConfig> = {}) {
  return start({
    clients: {
      c: {
        provider: 'openai',
        baseUrl: url,
        model: 'm',
        apiKey: KEY,
        headers: HEADERS,
        retry: false,
        ...fields,
      } as ClientConfig,
    },
  });
}

/** Everything a caller or an open view can see of a failed request. */
function visible(e: LlmActorsError, runtime: Awaited<ReturnType<typeof runtimeFor>>): string {
  return JSON.stringify([
    e.message,
    e.body,
    e.toJSON(),
    String(e.cause ?? ''),
    runtime.health('c'),
    runtime.history('c'),
  ]);
}

const SECRETS = [KEY, ...Object.values(HEADERS)];

describe('secrets in the forms an upstream echoes them', () => {
  it('scrubs the tail, the upper case and the base64 of a key echoed in an error', async () => {
    const { url } = await upstream(() => [
      401,
      {
        error: {
          message: [
            `Incorrect API key provided: sk-proj-****${KEY.slice(-8)}.`,
            `Or was it ...${KEY.slice(-12)}, ${KEY.toUpperCase()}, ${KEY.toLowerCase()}?`,
            `Sent: ${Buffer.from(KEY).toString('base64')} / ${Buffer.from(KEY).toString('base64url')}`,
            `Basic ${Buffer.from(`user:${KEY}`).toString('base64')}`,
          ].join(' '),
        },
      },
    ]);
    const runtime = await runtimeFor(url);
    const e = await failure(runtime.request('c', hi));
    expect(e).toMatchObject({ code: 'PROVIDER_ERROR', status: 401 });
    expect(e.message).toContain('[REDACTED]');
    expect(leaked(visible(e, runtime), [KEY])).toEqual([]);
  });

  it('treats every configured header value as a secret, whatever the header is called', async () => {
    // The upstream quotes the headers it received, as a debugging proxy would.
    const { url } = await upstream((headers) => [
      500,
      { error: { message: `bad gateway for ${JSON.stringify(headers)}` } },
    ]);
    const runtime = await runtimeFor(url);
    const e = await failure(runtime.request('c', hi));
    expect(e).toMatchObject({ code: 'PROVIDER_ERROR', status: 500 });
    expect(leaked(visible(e, runtime), SECRETS)).toEqual([]);
  });
});

describe('an answer that reflects a secret', () => {
  const reflect = (content: (headers: IncomingHttpHeaders) => string) => (h: IncomingHttpHeaders) =>
    [
      200,
      {
        model: 'm',
        choices: [{ message: { role: 'assistant', content: content(h) }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1 },
      },
    ] as [number, unknown];

  it('is returned as it is but never written to the cache (sqlite)', async () => {
    const { url, seen } = await upstream(reflect((h) => `you sent ${h.authorization}`));
    dir = mkdtempSync(join(tmpdir(), 'llm-actors-reflect-'));
    const path = join(dir, 'cache.sqlite');
    const runtime = await runtimeFor(url, { cache: { store: 'sqlite', path } });
    const first = await runtime.request('c', hi);
    expect(first.text).toBe(`you sent Bearer ${KEY}`);
    const second = await runtime.request('c', hi);
    expect(second.cacheHit).toBe(false);
    expect(seen.requests).toBe(2);
    await runtime.stop();
    // The database and whatever journal sits beside it.
    for (const file of readdirSync(dir)) {
      expect(leaked(readFileSync(join(dir, file)).toString('latin1'), [KEY])).toEqual([]);
    }
  });

  it('is not cached when it quotes only the tail of a header secret', async () => {
    const tail = HEADERS['X-Auth-Token'].slice(-10);
    const { url, seen } = await upstream(reflect(() => `token …${tail}`));
    const runtime = await runtimeFor(url);
    await runtime.request('c', hi);
    expect((await runtime.request('c', hi)).cacheHit).toBe(false);
    expect(seen.requests).toBe(2);
  });

  it('leaves an answer without a secret cached as before', async () => {
    const { url, seen } = await upstream(reflect(() => 'hello'));
    const runtime = await runtimeFor(url);
    await runtime.request('c', hi);
    expect((await runtime.request('c', hi)).cacheHit).toBe(true);
    expect(seen.requests).toBe(1);
  });
});

describe('secrets that cannot be sent', () => {
  it.each([
    ['an apiKey ending in a newline', { apiKey: `${KEY}\n` }, 'clients.c.apiKey'],
    ['an apiKey with a CR/LF inside', { apiKey: `${KEY}\r\nX-Evil: 1` }, 'clients.c.apiKey'],
    [
      'a header value with CR/LF',
      { headers: { 'X-Auth-Token': `${KEY}\r\n` } },
      'clients.c.headers.X-Auth-Token',
    ],
  ])('refuses %s at start-up, naming the field and not the value', async (_, fields, field) => {
    const e = await failure(
      createRuntime({
        logger: false,
        clients: { c: { provider: 'openai', model: 'm', ...fields } as ClientConfig },
      }),
    );
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.message).toContain(`${field}: must not`);
    expect(leaked(JSON.stringify([e.message, e.toJSON()]), [KEY])).toEqual([]);
  });
});
