/** A group behind the gateway: listed as a model, answering plain and streamed chat. */
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway/index.js';
import { groupsPerTest, hello } from './support/groups.js';

const groups = groupsPerTest();
let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.close({ timeoutMs: 0 });
  gateway = undefined;
});

async function serve() {
  const started = await groups.start(['primary', 'backup'], {
    chat: { members: ['primary', 'backup'], resumeStreams: true },
  });
  gateway = await createGateway(started.runtime, { port: 0, logger: false });
  return { ...started, url: gateway.url };
}

const chat = (url: string, body: Record<string, unknown>) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages: hello, ...body }),
  });

describe('a group behind the gateway', () => {
  it('is listed by /v1/models beside the clients, and /v1/models/{group} answers', async () => {
    const { url } = await serve();
    const list = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(list.data.map((m) => m.id)).toEqual(['primary', 'backup', 'chat']);
    const one = await fetch(`${url}/v1/models/chat`);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ id: 'chat', object: 'model' });
  });

  it('answers a chat completion from the member that answered, named in x-llm-actors-client', async () => {
    const { url, servers } = await serve();
    servers.primary!.inject({ kind: 'status', status: 503 });
    const res = await chat(url, {});
    expect(res.status).toBe(200);
    expect(res.headers.get('x-llm-actors-client')).toBe('backup');
    const body = (await res.json()) as { model: string; usage: { total_tokens: number } };
    expect(body.model).toBe('backup-model');
    expect(body.usage.total_tokens).toBeGreaterThan(0);
  });

  it('streams from the member that answered, its model in every chunk', async () => {
    const { url, servers } = await serve();
    servers.primary!.inject({ kind: 'reset' });
    servers.backup!.setReply(() => 'all is well');
    const res = await chat(url, { stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-llm-actors-client')).toBe('backup');
    const text = await res.text();
    const chunks = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map(
        (e) =>
          JSON.parse(e.slice(6)) as { model: string; choices: { delta: { content?: string } }[] },
      );
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set(['backup-model']));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('all is well');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it("keeps a caller fault's status and code when it comes back from a member", async () => {
    const { url, servers } = await serve();
    servers.primary!.inject({
      kind: 'status',
      status: 400,
      body: JSON.stringify({
        error: {
          message: 'too long',
          type: 'invalid_request_error',
          code: 'context_length_exceeded',
        },
      }),
    });
    const res = await chat(url, {});
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(servers.backup!.requests).toBe(0);
  });

  it('keeps max_completion_tokens as sent when every member speaks OpenAI', async () => {
    const { url, servers } = await serve();
    expect((await chat(url, { max_completion_tokens: 40 })).status).toBe(200);
    const body = servers.primary!.lastRequest()!.body as Record<string, unknown>;
    expect(body.max_completion_tokens).toBe(40);
    expect(body.max_tokens).toBeUndefined();
  });

  it('reports each group on /metrics: calls, failovers and which members are ready', async () => {
    const { url, servers } = await serve();
    servers.primary!.inject({ kind: 'status', status: 503 }, { times: 1 });
    expect((await chat(url, {})).status).toBe(200);
    expect((await chat(url, {})).status).toBe(200);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('llm_actors_group_requests_total{group="chat"} 2');
    expect(text).toContain('llm_actors_group_requests_succeeded_total{group="chat"} 2');
    expect(text).toContain('llm_actors_group_failovers_total{group="chat"} 1');
    expect(text).toContain('llm_actors_group_member_ready{group="chat",client="primary"} 1');
    expect(text).toContain('llm_actors_group_member_ready{group="chat",client="backup"} 1');
    expect(text).not.toContain('llm_actors_group_cost_usd_total{');
  });

  it('names the member that finished a resumed Responses stream in response.completed', async () => {
    const { url, servers } = await serve();
    const answer = 'one two three four five six';
    servers.primary!.setReply(() => answer);
    servers.primary!.inject({ kind: 'stream_cut', afterDeltas: 3 });
    servers.backup!.setReply((req) => {
      const last = req.messages.at(-1);
      return last?.role === 'assistant' ? answer.slice(last.content.length) : answer;
    });
    const res = await fetch(`${url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', input: 'hi', stream: true }),
    });
    const events = (await res.text())
      .split('\n\n')
      .map((e) => e.split('\n').find((l) => l.startsWith('data: ')))
      .filter((l) => l !== undefined)
      .map((l) => JSON.parse(l.slice(6)) as { type: string; response?: { model: string } });
    const completed = events.find((e) => e.type === 'response.completed');
    expect(completed?.response?.model).toBe('backup-model');
    expect(events.find((e) => e.type === 'response.created')?.response?.model).toBe(
      'primary-model',
    );
  });
});
