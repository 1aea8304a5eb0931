import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// Captured at load so that tests installing fake timers afterwards still get real delays here.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realNow = Date.now;

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  /** Interface to bind; default `'127.0.0.1'`. */
  host?: string;
  /** Port to bind; default `0` (any free port). */
  port?: number;
  /** Model name echoed in answers and listed by `GET /v1/models`; default `'test-model'`. */
  model?: string;
  /** Produces the assistant content; default `echo: <content of the last user message>`. */
  reply?: (req: TestChatRequest) => string | Promise<string>;
  /** When set, requests without `authorization: Bearer <apiKey>` get a 401 OpenAI-style error. */
  apiKey?: string;
}

/** A parsed chat-completions request, as seen by `reply` and {@link TestServer.lastRequest}. */
export interface TestChatRequest {
  /** The requested model, or the server's model when the request names none. */
  model: string;
  /** The messages; array-of-parts contents are flattened to their joined text parts. */
  messages: Array<{ role: string; content: string }>;
  temperature?: number;
  /** `max_tokens`, or `max_completion_tokens` when only that is sent. */
  max_tokens?: number;
  n?: number;
  /** The raw request headers. */
  headers: Record<string, string | string[] | undefined>;
  /** The raw parsed JSON body. */
  body: Record<string, unknown>;
}

/** A fault the server can inject instead of (or into) a normal answer. */
export type TestFault =
  /**
   * Answer with this status. `body` defaults to an OpenAI-style JSON error; `retryAfter` sets
   * the `retry-after` header, `retryAfterMs` the `retry-after-ms` header.
   */
  | {
      kind: 'status';
      status: number;
      body?: string;
      retryAfter?: number | string;
      retryAfterMs?: number;
    }
  /** Reset the connection (TCP RST) without any response. */
  | { kind: 'reset' }
  /** Never answer, until the client aborts or the server closes. */
  | { kind: 'hang' }
  /** 200 with `content-type: application/json` and a body that is not valid JSON. */
  | { kind: 'malformed' }
  /** 200 whose `content-length` promises more than is sent; the socket is destroyed mid-body. */
  | { kind: 'truncated' }
  /** Answer normally after `ms` milliseconds. */
  | { kind: 'latency'; ms: number }
  /** Answer normally, writing the body `chunkBytes` (default 16) at a time, `chunkDelayMs` apart. */
  | { kind: 'trickle'; chunkDelayMs: number; chunkBytes?: number };

/**
 * An injected fault and when it applies. `times`: the next N requests it applies to, then it is
 * removed. `probability`: each request is hit with that chance, drawn from the server's seeded RNG.
 * Neither: every request until {@link TestServer.clearFaults}.
 */
export interface FaultRule {
  fault: TestFault;
  times?: number;
  probability?: number;
}

/** A running test server; see {@link startTestServer}. */
export interface TestServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  /** Scheme, host and port, e.g. `http://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly port: number;
  /** Valid chat-completions requests received so far, faulted ones included. */
  readonly requests: number;
  /** TCP connections accepted so far; shows whether clients pool and reuse connections. */
  readonly connections: number;
  /**
   * A snapshot of the counters. `ok` counts completions fully sent (latency and trickle hits
   * included); `faults` counts rule hits per fault kind.
   */
  readonly stats: { requests: number; ok: number; faults: Record<TestFault['kind'], number> };
  /** Adds a fault rule. Rules are checked in the order added; the first that applies wins. */
  inject(fault: TestFault, options?: { times?: number; probability?: number }): void;
  /** Removes every fault rule. */
  clearFaults(): void;
  /** Replaces the reply function; `undefined` restores the echo default. */
  setReply(reply: TestServerOptions['reply']): void;
  /** Reseeds the RNG used by probability rules (mulberry32, default seed 1). */
  seed(n: number): void;
  /** Resolves once `requests >= n`; rejects if the server closes first. */
  waitForRequests(n: number): Promise<void>;
  /** The last valid chat-completions request, if any. */
  lastRequest(): TestChatRequest | undefined;
  /** Closes the server, destroying every open socket and clearing every timer. Idempotent. */
  close(): Promise<void>;
}

type FaultKind = TestFault['kind'];

const FAULT_KINDS: FaultKind[] = [
  'status',
  'reset',
  'hang',
  'malformed',
  'truncated',
  'latency',
  'trickle',
];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MALFORMED = '{"id":"chatcmpl-malformed","object":"chat.completion","choices":[{';

const countWords = (text: string): number => text.split(/\s+/).filter(Boolean).length;

const defaultReply = (req: TestChatRequest): string =>
  `echo: ${req.messages.findLast((m) => m.role === 'user')?.content ?? ''}`;

function errorType(status: number): string {
  if (status === 429) return 'rate_limit_exceeded';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
  code: string | null = null,
): void {
  send(res, status, JSON.stringify({ error: { message, type: errorType(status), code } }), headers);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function sendStatusFault(res: ServerResponse, fault: Extract<TestFault, { kind: 'status' }>): void {
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
  if (fault.body === undefined) {
    const message = `Injected fault: HTTP ${fault.status} ${STATUS_CODES[fault.status] ?? ''}`;
    return sendError(res, fault.status, message.trimEnd(), headers);
  }
  if (!isJson(fault.body)) headers['content-type'] = 'text/plain; charset=utf-8';
  send(res, fault.status, fault.body, headers);
}

const isCount = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min;

/** Returns the parsed request, or the message of a 400 error. */
function parseChat(body: unknown, req: IncomingMessage, model: string): TestChatRequest | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return 'Request body must be a JSON object';
  }
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.messages)) return "Missing required parameter: 'messages'";
  const maxTokens = b.max_tokens ?? b.max_completion_tokens;
  if (maxTokens !== undefined && maxTokens !== null && !isCount(maxTokens, 0)) {
    return "Invalid 'max_tokens': expected a non-negative integer";
  }
  if (b.n !== undefined && b.n !== null && !isCount(b.n, 1)) {
    return "Invalid 'n': expected a positive integer";
  }
  const messages = b.messages.map((m: unknown) => {
    const msg = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
    const content = Array.isArray(msg.content)
      ? msg.content
          .map((p: { text?: unknown }) => (typeof p?.text === 'string' ? p.text : ''))
          .join('')
      : typeof msg.content === 'string'
        ? msg.content
        : '';
    return { role: typeof msg.role === 'string' ? msg.role : '', content };
  });
  return {
    model: typeof b.model === 'string' ? b.model : model,
    messages,
    ...(typeof b.temperature === 'number' && { temperature: b.temperature }),
    ...(typeof maxTokens === 'number' && { max_tokens: maxTokens }),
    ...(typeof b.n === 'number' && { n: b.n }),
    headers: { ...req.headers },
    body: b,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

class TestServerImpl implements TestServer {
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  #requests = 0;
  #connections = 0;
  #ok = 0;
  #faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  #rules: FaultRule[] = [];
  #random = mulberry32(1);
  #reply: (req: TestChatRequest) => string | Promise<string>;
  #last: TestChatRequest | undefined;
  #waiters = new Set<{ n: number; resolve: () => void; reject: (err: Error) => void }>();
  #sockets = new Set<Socket>();
  // Cancels every pending delay; called on close so no timer outlives the server.
  #cancels = new Set<() => void>();
  #closing: Promise<void> | undefined;
  readonly #server: Server;
  readonly #options: TestServerOptions;

  constructor(server: Server, options: TestServerOptions) {
    this.#server = server;
    this.#options = options;
    const { address, port } = server.address() as AddressInfo;
    this.port = port;
    this.origin = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
    this.url = `${this.origin}/v1`;
    this.#reply = options.reply ?? defaultReply;
    server.on('connection', (socket) => {
      this.#connections++;
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch((err: unknown) => {
        if (res.headersSent || res.destroyed) res.destroy();
        else sendError(res, 500, err instanceof Error ? err.message : String(err));
      });
    });
  }

  get requests(): number {
    return this.#requests;
  }

  get connections(): number {
    return this.#connections;
  }

  get stats(): TestServer['stats'] {
    return { requests: this.#requests, ok: this.#ok, faults: { ...this.#faults } };
  }

  inject(fault: TestFault, options: { times?: number; probability?: number } = {}): void {
    const { times, probability } = options;
    if (times !== undefined && !isCount(times, 1)) {
      throw new RangeError(`times must be a positive integer, got ${times}`);
    }
    if (probability !== undefined && !(probability >= 0 && probability <= 1)) {
      throw new RangeError(`probability must be between 0 and 1, got ${probability}`);
    }
    this.#rules.push({ fault, times, probability });
  }

  clearFaults(): void {
    this.#rules = [];
  }

  setReply(reply: TestServerOptions['reply']): void {
    this.#reply = reply ?? defaultReply;
  }

  seed(n: number): void {
    this.#random = mulberry32(n);
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
      for (const cancel of this.#cancels) cancel();
      for (const waiter of this.#waiters) waiter.reject(new Error('Test server is closed'));
      this.#waiters.clear();
      this.#server.close(() => resolve());
      // server.close() alone waits for idle keep-alive and hung sockets.
      for (const socket of this.#sockets) socket.destroy();
    });
    return this.#closing;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = this.#options.apiKey;
    if (key !== undefined && req.headers.authorization !== `Bearer ${key}`) {
      return sendError(res, 401, 'Incorrect API key provided.', {}, 'invalid_api_key');
    }
    const route = `${req.method} ${(req.url ?? '/').split('?')[0]!.replace(/^\/v1\//, '/')}`;
    if (route === 'GET /models') {
      const model = {
        id: this.#model,
        object: 'model',
        created: 0,
        owned_by: 'llm-actors-testing',
      };
      return send(res, 200, JSON.stringify({ object: 'list', data: [model] }));
    }
    if (route !== 'POST /chat/completions') {
      return sendError(res, 404, `Unknown route: ${req.method} ${req.url}`);
    }
    return this.#chat(req, res);
  }

  async #chat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return sendError(res, 400, 'Request body is not valid JSON');
    }
    const chat = parseChat(body, req, this.#model);
    if (typeof chat === 'string') return sendError(res, 400, chat);
    const id = `chatcmpl-${this.#received(chat)}`;

    const fault = this.#pickFault();
    if (fault) this.#faults[fault.kind]++;
    switch (fault?.kind) {
      case 'status':
        return sendStatusFault(res, fault);
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'hang':
        return;
      case 'malformed':
        return send(res, 200, MALFORMED);
      case 'latency':
        if (!(await this.#sleep(fault.ms, res))) return;
        break;
    }
    const payload = Buffer.from(JSON.stringify(await this.#completion(id, chat)));
    if (res.destroyed) return;
    if (fault?.kind !== 'truncated' && fault?.kind !== 'trickle') {
      send(res, 200, payload);
      this.#ok++;
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': payload.length });
    if (fault.kind === 'truncated') {
      // Flush half the body before destroying, so the client sees headers and a partial body.
      res.write(payload.subarray(0, payload.length >> 1), () => req.socket.destroy());
      return;
    }
    const step = Math.max(1, fault.chunkBytes ?? 16);
    for (let at = 0; at < payload.length; at += step) {
      if (at > 0 && !(await this.#sleep(fault.chunkDelayMs, res))) return;
      res.write(payload.subarray(at, at + step));
    }
    res.end();
    this.#ok++;
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

  #pickFault(): TestFault | undefined {
    const index = this.#rules.findIndex(
      (rule) => rule.probability === undefined || this.#random() < rule.probability,
    );
    const rule = this.#rules[index];
    if (rule?.times !== undefined && --rule.times === 0) this.#rules.splice(index, 1);
    return rule?.fault;
  }

  async #completion(id: string, chat: TestChatRequest): Promise<object> {
    const reply = await this.#reply(chat);
    const choices = Array.from({ length: chat.n ?? 1 }, (_, index) => {
      const full = index > 0 ? `${reply} #${index}` : reply;
      const words = full.split(/\s+/).filter(Boolean);
      const cut = chat.max_tokens !== undefined && words.length > chat.max_tokens;
      const content = cut ? words.slice(0, chat.max_tokens).join(' ') : full;
      return {
        index,
        message: { role: 'assistant', content },
        finish_reason: cut ? 'length' : 'stop',
        logprobs: null,
      };
    });
    const prompt = chat.messages.reduce((sum, m) => sum + countWords(m.content), 0);
    const completion = choices.reduce((sum, c) => sum + countWords(c.message.content), 0);
    return {
      id,
      object: 'chat.completion',
      created: Math.floor(realNow() / 1000),
      model: this.#model,
      choices,
      usage: {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
      },
    };
  }

  /** Resolves true after `ms`, or false as soon as the response closes or the server closes. */
  #sleep(ms: number, res: ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.#closing || res.destroyed) return resolve(false);
      const finish = (completed: boolean): void => {
        realClearTimeout(timer);
        res.off('close', cancel);
        this.#cancels.delete(cancel);
        resolve(completed);
      };
      const cancel = (): void => finish(false);
      const timer = realSetTimeout(() => finish(true), ms);
      res.once('close', cancel);
      this.#cancels.add(cancel);
    });
  }
}

/**
 * Starts a local, fault-injecting, OpenAI-compatible chat-completions server
 * (`POST /v1/chat/completions`, `GET /v1/models`).
 *
 * @example
 * ```ts
 * import { startTestServer } from 'llm-actors/testing';
 *
 * const server = await startTestServer({ reply: () => 'hello' });
 * server.inject({ kind: 'status', status: 429, retryAfter: 1 }, { times: 2 });
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
