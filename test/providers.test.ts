import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ClientConfig, Runtime } from '../src/index.js';
import { failure } from './support/failure.js';
import { runtimePerTest } from './support/runtime.js';

/** A local upstream that records what it receives and answers what the test says. */
interface Upstream {
  url: string;
  received: Array<{ path: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }>;
  answer: { status: number; body: unknown };
  server: Server;
}

let upstream: Upstream;

const runtimes = runtimePerTest(
  () => new Promise((resolve) => (upstream ? upstream.server.close(resolve) : resolve(undefined))),
);

async function startUpstream(): Promise<Upstream> {
  const u = { received: [], answer: { status: 200, body: {} } } as unknown as Upstream;
  u.server = createServer((req, res) => {
    let data = '';
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => {
      u.received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(data) });
      res.writeHead(u.answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(u.answer.body));
    });
  });
  await new Promise<void>((resolve) => u.server.listen(0, '127.0.0.1', resolve));
  u.url = `http://127.0.0.1:${(u.server.address() as AddressInfo).port}`;
  return u;
}

async function client(config: ClientConfig): Promise<Runtime> {
  upstream = await startUpstream();
  return runtimes.start({
    clients: { c: { ...config, baseUrl: upstream.url, retry: false } as ClientConfig },
  });
}

const chat = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'system' as const, content: 'Answer in French.' },
  { role: 'user' as const, content: 'Hello' },
  { role: 'assistant' as const, content: 'Bonjour' },
  { role: 'user' as const, content: 'How are you?' },
];

describe('anthropic provider', () => {
  const answer = {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-test-20250101',
    content: [
      { type: 'text', text: 'Ça va, ' },
      { type: 'text', text: 'merci.' },
    ],
    stop_reason: 'end_turn',
    usage: { input_tokens: 12, output_tokens: 4, cache_read_input_tokens: 3 },
  };

  it('lifts system messages, always sends max_tokens and the version and key headers', async () => {
    const rt = await client({ provider: 'anthropic', model: 'claude-test', apiKey: 'sk-ant-x' });
    upstream.answer = { status: 200, body: answer };
    await rt.request('c', chat, { temperature: 0.3, stop: ['END'], seed: 4, extra: { top_k: 5 } });
    const [sent] = upstream.received;
    expect(sent!.path).toBe('/v1/messages');
    expect(sent!.headers).toMatchObject({
      'x-api-key': 'sk-ant-x',
      'anthropic-version': '2023-06-01',
    });
    expect(sent!.headers.authorization).toBeUndefined();
    expect(sent!.body).toEqual({
      model: 'claude-test',
      max_tokens: 1024,
      system: 'Be brief.\n\nAnswer in French.',
      messages: [
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Bonjour' },
        { role: 'user', content: 'How are you?' },
      ],
      temperature: 0.3,
      stop_sequences: ['END'],
      top_k: 5,
    });
  });

  it('reads text blocks, stop_reason and usage into the completion', async () => {
    const rt = await client({ provider: 'anthropic', model: 'claude-test' });
    upstream.answer = { status: 200, body: answer };
    const res = await rt.request('c', chat, { maxTokens: 50 });
    expect(upstream.received[0]!.body.max_tokens).toBe(50);
    expect(res).toMatchObject({
      text: 'Ça va, merci.',
      finishReason: 'stop',
      model: 'claude-test-20250101',
      usage: { promptTokens: 15, completionTokens: 4, totalTokens: 19 },
    });
  });

  it('maps max_tokens and tool_use stop reasons', async () => {
    const rt = await client({ provider: 'anthropic', model: 'claude-test' });
    upstream.answer = { status: 200, body: { ...answer, stop_reason: 'max_tokens' } };
    expect((await rt.request('c', chat)).finishReason).toBe('length');
    upstream.answer = { status: 200, body: { ...answer, stop_reason: 'tool_use' } };
    expect((await rt.request('c', chat, { cache: false })).finishReason).toBe('tool_calls');
  });

  it('treats 529 overloaded_error as a retryable failure that melts the fuse', async () => {
    const rt = await client({
      provider: 'anthropic',
      model: 'claude-test',
      fuse: { maxFailures: 1 },
    });
    upstream.answer = {
      status: 529,
      body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    };
    const error = await failure(rt.request('c', chat));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 529, retryable: true });
    expect(error.message).toContain('Overloaded');
    expect(rt.health('c').fuse.state).toBe('open');
  });

  it('types an answer without content as BAD_RESPONSE', async () => {
    const rt = await client({ provider: 'anthropic', model: 'claude-test' });
    upstream.answer = { status: 200, body: { type: 'message' } };
    expect((await failure(rt.request('c', chat))).code).toBe('BAD_RESPONSE');
  });
});

describe('ollama provider', () => {
  const answer = {
    model: 'llama3.2',
    created_at: '2026-01-01T00:00:00Z',
    message: { role: 'assistant', content: 'Fine, thanks.' },
    done: true,
    done_reason: 'stop',
    prompt_eval_count: 20,
    eval_count: 6,
  };

  it('posts to /api/chat without streaming, with sampling under options', async () => {
    const rt = await client({ provider: 'ollama', model: 'llama3.2' });
    upstream.answer = { status: 200, body: answer };
    await rt.request('c', chat, {
      temperature: 0,
      maxTokens: 64,
      stop: ['\n\n'],
      seed: 42,
      extra: { keep_alive: '5m', options: { top_k: 3 } },
    });
    const [sent] = upstream.received;
    expect(sent!.path).toBe('/api/chat');
    expect(sent!.body).toEqual({
      model: 'llama3.2',
      messages: chat,
      stream: false,
      keep_alive: '5m',
      options: { top_k: 3, temperature: 0, num_predict: 64, stop: ['\n\n'], seed: 42 },
    });
  });

  it('reads message, done_reason and eval counts into the completion', async () => {
    const rt = await client({ provider: 'ollama', model: 'llama3.2' });
    upstream.answer = { status: 200, body: { ...answer, done_reason: 'length' } };
    const res = await rt.request('c', chat);
    expect(res).toMatchObject({
      text: 'Fine, thanks.',
      finishReason: 'length',
      model: 'llama3.2',
      usage: { promptTokens: 20, completionTokens: 6, totalTokens: 26 },
    });
    expect(upstream.received[0]!.body.options).toBeUndefined();
  });

  it('reports an Ollama error body in the PROVIDER_ERROR message', async () => {
    const rt = await client({ provider: 'ollama', model: 'nope' });
    upstream.answer = { status: 404, body: { error: "model 'nope' not found" } };
    const error = await failure(rt.request('c', chat));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 404, retryable: false });
    expect(error.message).toContain("model 'nope' not found");
  });
});
