import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { completionOf, sendAnswer } from './answer.js';
import { Delays, realNow } from './delays.js';
import { FaultRules, faultBeforeAnswer } from './faults.js';
import {
  anthropic,
  isCount,
  isRecord,
  ollama,
  openai,
  openAiError,
  type WireFormat,
} from './formats/index.js';
import { readBody, send } from './http.js';
import type { ScriptedAnswer } from './scripted-types.js';
import { scriptedCompletion } from './scripted.js';
import type {
  TestChatRequest,
  TestFault,
  TestScript,
  TestServer,
  TestServerOptions,
} from './types.js';

// Chat routes by path, after an optional `/v1` prefix is stripped.
const ROUTES: Record<string, WireFormat> = {
  '/chat/completions': openai,
  '/messages': anthropic,
  '/api/chat': ollama,
};

const defaultReply = (req: TestChatRequest): string =>
  `echo: ${req.messages.findLast((m) => m.role === 'user')?.content ?? ''}`;

class TestServerImpl implements TestServer {
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  #requests = 0;
  #streams = 0;
  #connections = 0;
  #ok = 0;
  readonly #rules: FaultRules;
  #reply: (req: TestChatRequest) => string | Promise<string>;
  #last: TestChatRequest | undefined;
  #script: TestScript | undefined;
  #queue: ScriptedAnswer[] = [];
  #waiters = new Set<{ n: number; resolve: () => void; reject: (err: Error) => void }>();
  #sockets = new Set<Socket>();
  readonly #delays = new Delays();
  #closing: Promise<void> | undefined;
  readonly #server: Server;
  readonly #options: TestServerOptions;

  constructor(server: Server, options: TestServerOptions) {
    this.#server = server;
    this.#options = options;
    this.#rules = new FaultRules(options.now ?? realNow);
    const { address, port } = server.address() as AddressInfo;
    this.port = port;
    this.origin = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
    this.url = `${this.origin}/v1`;
    this.#reply = options.reply ?? defaultReply;
    this.#script = options.script;
    server.on('connection', (socket) => {
      this.#connections++;
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#handle(req, res));
  }

  get requests(): number {
    return this.#requests;
  }

  get streams(): number {
    return this.#streams;
  }

  get connections(): number {
    return this.#connections;
  }

  get stats(): TestServer['stats'] {
    return { requests: this.#requests, ok: this.#ok, faults: this.#rules.hits() };
  }

  inject(
    fault: TestFault,
    options: { times?: number; probability?: number; forMs?: number } = {},
  ): void {
    this.#rules.add(fault, options);
  }

  clearFaults(): void {
    this.#rules.clear();
  }

  setReply(reply: TestServerOptions['reply']): void {
    this.#reply = reply ?? defaultReply;
  }

  enqueue(...answers: ScriptedAnswer[]): void {
    this.#queue.push(...answers);
  }

  setScript(script: TestScript | undefined): void {
    this.#script = script;
  }

  seed(n: number): void {
    this.#rules.seed(n);
  }

  waitForRequests(n: number): Promise<void> {
    if (this.#requests >= n) return Promise.resolve();
    if (this.#closing) return Promise.reject(new Error('Test server is closed'));
    return new Promise((resolve, reject) => this.#waiters.add({ n, resolve, reject }));
  }

  lastRequest(): TestChatRequest | undefined {
    return this.#last;
  }

  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      this.#delays.close();
      for (const waiter of this.#waiters) waiter.reject(new Error('Test server is closed'));
      this.#waiters.clear();
      this.#server.close(() => resolve());
      // server.close() alone waits for idle keep-alive and hung sockets.
      for (const socket of this.#sockets) socket.destroy();
    });
    return this.#closing;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!.replace(/^\/v1\//, '/');
    const format = req.method === 'POST' ? ROUTES[path] : undefined;
    this.#route(req, res, path, format).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return void res.destroy();
      const message = err instanceof Error ? err.message : String(err);
      send(res, 500, (format ?? openai).errorBody(500, message));
    });
  }

  async #route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    format: WireFormat | undefined,
  ): Promise<void> {
    // Non-chat routes keep the OpenAI bearer check; each chat format checks its own headers.
    const denied = (format ?? openai).deny(req, this.#options.apiKey);
    if (denied) return send(res, denied.status, denied.body);
    if (format) return this.#chat(req, res, format);
    if (req.method === 'GET' && path === '/models') {
      const model = {
        id: this.#model,
        object: 'model',
        created: 0,
        owned_by: 'llm-actors-testing',
      };
      return send(res, 200, JSON.stringify({ object: 'list', data: [model] }));
    }
    return send(res, 404, openAiError(404, `Unknown route: ${req.method} ${req.url}`));
  }

  async #chat(req: IncomingMessage, res: ServerResponse, format: WireFormat): Promise<void> {
    const startedMs = realNow();
    const invalid = (message: string): void => send(res, 400, format.errorBody(400, message));
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return invalid('Request body is not valid JSON');
    }
    if (!isRecord(body)) return invalid('Request body must be a JSON object');
    const chat = format.parse(body, req, this.#model);
    if (typeof chat === 'string') return invalid(chat);
    const num = this.#received(chat);
    if (chat.stream) this.#streams++;

    const fault = this.#rules.pick(chat);
    const sleep = (ms: number): Promise<boolean> => this.#delays.sleep(ms, res);
    if (!(await faultBeforeAnswer(req, res, format, chat.stream, fault, sleep))) return;
    const scripted = this.#queue.shift() ?? (await this.#script?.(chat));
    const text = scripted === undefined ? await this.#reply(chat) : '';
    if (res.destroyed) return;
    const facts = {
      num,
      model: this.#model,
      startedMs,
      nowMs: realNow(),
      chunkWords: this.#options.chunkWords ?? 1,
    };
    const completion = scripted
      ? scriptedCompletion(scripted, chat, facts)
      : completionOf(text, chat, facts);
    const delivery = { format, fault, splitBytes: this.#options.splitBytes, sleep };
    if (await sendAnswer(res, req.socket, completion, delivery)) this.#ok++;
  }

  get #model(): string {
    return this.#options.model ?? 'test-model';
  }

  /** Records a valid request and returns its 1-based number. */
  #received(chat: TestChatRequest): number {
    this.#requests++;
    this.#last = chat;
    for (const waiter of this.#waiters) {
      if (this.#requests >= waiter.n) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
    }
    return this.#requests;
  }
}

/**
 * Starts a local, fault-injecting chat server speaking three wire formats: OpenAI chat
 * completions (`POST /v1/chat/completions`, `GET /v1/models`), Anthropic Messages
 * (`POST /v1/messages`) and Ollama chat (`POST /api/chat`), each streamed on request (Ollama:
 * unless `stream: false`). Every route also answers without the `/v1` prefix. Throws
 * `RangeError` when `chunkWords` or `splitBytes` is not a positive integer.
 *
 * @example
 * ```ts
 * import { startTestServer } from 'llm-actors/testing';
 *
 * const server = await startTestServer({ reply: () => 'hello' });
 * server.inject({ kind: 'status', status: 429, retryAfter: 1 }, { times: 2 });
 * server.inject({ kind: 'stream_cut', afterDeltas: 3 }, { times: 1 });
 * const res = await fetch(`${server.url}/chat/completions`, {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
 * });
 * res.status; // 429
 * await server.close();
 * ```
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  for (const name of ['chunkWords', 'splitBytes'] as const) {
    const value = options[name];
    if (value !== undefined && !isCount(value, 1)) {
      throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }
  const server = createServer();
  // Clients pool connections; keep idle sockets a few seconds (close() destroys them anyway).
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return new TestServerImpl(server, options);
}
