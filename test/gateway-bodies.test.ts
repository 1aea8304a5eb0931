/**
 * What the gateway makes of hostile or broken bodies and of errors that quote them: 400s in the
 * body's own terms, prototype keys and invalid UTF-8 refused, a caller leaving mid-body not
 * taken for a failure, and no request content in the views that need no key.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { GatewayOptions } from '../src/gateway/index.js';
import { gatewayPerTest } from './support/gateway.js';
import { closed, open, sink } from './support/raw-http.js';

const PROMPT = 'my private prompt PRIVATE-7f3a9c';
const hi = [{ role: 'user', content: 'hi' }];

const gw = gatewayPerTest();

async function start(baseUrl?: string, options: GatewayOptions = {}): Promise<string> {
  baseUrl ??= (await gw.startUpstream()).url;
  const gpt = { provider: 'openai', baseUrl, model: 'm', apiKey: 'sk-x', retry: false } as const;
  return (await gw.start({ gpt }, options)).url;
}

function post(url: string, body: string | Uint8Array | object): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
}

type ErrorBody = { error: { message: string; code: string; param: string | null } };

describe('the 400s of the gateway', () => {
  it.each([
    ['max_tokens', { max_tokens: 0 }, 'max_tokens: must be between 1'],
    ['max_completion_tokens', { max_completion_tokens: 1.5 }, 'max_completion_tokens: expected'],
    ['seed', { seed: 'x' }, 'seed: expected a finite number'],
    ['stop', { stop: [''] }, 'stop[0]: expected a non-empty string'],
    ['temperature', { temperature: -1 }, 'temperature: must be between 0 and 2'],
    ['constructor', { constructor: 1 }, 'constructor: forbidden key'],
    ['messages', { messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role:'],
  ])('name the body field %s, in the message and as param', async (param, fields, message) => {
    const url = await start();
    const res = await post(url, { model: 'gpt', messages: hi, ...fields });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as ErrorBody;
    expect(error.message).toContain(message);
    expect(error.message).not.toMatch(/options\.|maxTokens/);
    expect(error.param).toBe(param);
  });

  it('refuses a "__proto__" key without running its setter', async () => {
    const url = await start();
    const body = `{"model":"gpt","messages":${JSON.stringify(hi)},"__proto__":{"polluted":1}}`;
    const res = await post(url, body);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as ErrorBody;
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', param: '__proto__' });
    expect(error.message).toBe('__proto__: forbidden key');
    expect(gw.upstream!.requests).toBe(0);
  });

  it('refuses a body that is not valid UTF-8, rather than replacing the bytes', async () => {
    const url = await start();
    const text = `{"model":"gpt","messages":[{"role":"user","content":"a\u0000b"}]}`;
    const bytes = Buffer.from(text);
    bytes[bytes.indexOf(0)] = 0xff;
    const res = await post(url, new Uint8Array(bytes));
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toBe('the body is not valid UTF-8');
    expect(gw.upstream!.requests).toBe(0);
  });
});

describe('a caller that hangs up mid-body', () => {
  it('is logged at debug, not as a failed route, and gets no 500', async () => {
    const { logger, lines } = sink();
    const url = await start(undefined, { logger });
    const socket = await open(url);
    socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-length: 500\r\n\r\n{"model":',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await closed(socket);
    await expect
      .poll(() => lines.some((l) => l.msg === 'the caller left before its body was read'))
      .toBe(true);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });
});

describe('the open views', () => {
  it('show no request content when the upstream error quotes the prompt', async () => {
    const quoting = createServer((req, res) => {
      req.resume();
      res.writeHead(400, { 'content-type': 'application/json' });
      const message = `Input validation error: '${PROMPT}' has too many tokens`;
      res.end(JSON.stringify({ error: { message, type: 'BadRequestError', code: 400 } }));
    });
    gw.track(quoting);
    await new Promise<void>((resolve) => quoting.listen(0, '127.0.0.1', resolve));
    const url = await start(`http://127.0.0.1:${(quoting.address() as AddressInfo).port}`);
    const answer = await post(url, { model: 'gpt', messages: [{ role: 'user', content: PROMPT }] });
    expect(answer.status).toBe(400);
    // The library's own health keeps the message; the caller's answer may carry it.
    expect(gw.runtime!.health('gpt').lastError?.message).toContain(PROMPT);
    const events = await fetch(`${url}/events`);
    const reader = events.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const views = [
      await (await fetch(`${url}/health`)).text(),
      await (await fetch(`${url}/health/gpt`)).text(),
      first,
    ];
    for (const view of views) {
      expect(view).toContain('PROVIDER_ERROR');
      expect(view).toContain('the provider answered with an error');
      expect(view).not.toContain('PRIVATE-7f3a9c');
    }
  });
});
