/**
 * The gateway: the runtime's named clients behind one OpenAI-compatible HTTP endpoint, with
 * health, Prometheus metrics and a live dashboard. Plain `node:http`: the gateway adds a JSON
 * parse, a runtime call and a JSON write to each request, and nothing else on that path.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { ClientHealth } from '../observe/health.js';
import type { Runtime } from '../runtime.js';
import { chatHandler } from './chat.js';
import { dashboardHtml } from './dashboard.js';
import { bearer, digest, sendError, sendJson, simpleError, tokenMatches } from './http.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import { errorAnswer } from './wire.js';

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** Port to listen on; `0` picks a free one. Default 8787. */
  port?: number;
  /** Interface to bind. Default `127.0.0.1`: loopback only unless told otherwise. */
  host?: string;
  /**
   * Bearer keys accepted on the API routes (`/v1/*`). Unset or empty: the API is open (which is
   * why the default host is loopback).
   */
  apiKeys?: string[];
  /** Bearer token of the admin routes (`/admin/*`). Unset: the admin routes answer 403. */
  adminToken?: string;
  /** Largest request body accepted, bytes; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** How often the dashboard's event stream sends a health snapshot, ms. Default 1 000. */
  eventsIntervalMs?: number;
  /** Where the gateway logs. Default: pino at `info` on stdout. `false`: silent. */
  logger?: Logger | false;
}

/** A listening gateway. */
export interface Gateway {
  /** `http://host:port` of the listening server. */
  readonly url: string;
  /** The underlying server. */
  readonly server: Server;
  /**
   * Graceful shutdown: stops accepting connections, answers `/readyz` with 503, lets requests
   * under way finish (up to `timeoutMs`, default 10 000; then their connections are closed),
   * ends the dashboards' event streams. Does not stop the runtime, which the caller owns.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

const DEFAULT_PORT = 8787;
const DEFAULT_MAX_BODY = 1024 * 1024;
const DASHBOARD_CSP =
  "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'";

/**
 * Starts the gateway in front of `runtime` and resolves once it listens.
 *
 * @example
 * ```ts
 * const gateway = await createGateway(runtime, { port: 8787, apiKeys: [process.env.GATEWAY_KEY!] });
 * // POST http://127.0.0.1:8787/v1/chat/completions { "model": "<client name>", "messages": [...] }
 * ```
 */
export async function createGateway(
  runtime: Runtime,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const apiKeys = (options.apiKeys ?? []).map(digest);
  const adminToken = options.adminToken === undefined ? undefined : [digest(options.adminToken)];
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const eventsIntervalMs = options.eventsIntervalMs ?? 1_000;
  const logger =
    options.logger === false
      ? pino({ enabled: false })
      : (options.logger ?? pino({ name: 'llm-actors-gateway' }));
  const metrics: GatewayMetrics = createMetrics(runtime);
  const page = dashboardHtml();
  const dashboards = new Set<ServerResponse>();
  let draining = false;
  /** Responses under way: a drain waits for them (and tells their callers to go elsewhere). */
  const active = new Set<ServerResponse>();
  let idle: (() => void) | undefined;

  const snapshot = (): string =>
    `event: health\ndata: ${JSON.stringify({ now: Date.now(), clients: runtime.health() })}\n\n`;
  const broadcast = () => {
    if (dashboards.size === 0) return;
    const event = snapshot();
    for (const res of dashboards) res.write(event);
  };
  const ticker = setInterval(broadcast, eventsIntervalMs);
  ticker.unref();
  // The registered clients and their models, kept rather than asked of the runtime on every
  // request: refreshed when clients come and go.
  const modelsOf = () =>
    new Map(Object.values(runtime.health()).map((h): [string, string] => [h.name, h.model]));
  let models = modelsOf();
  const unsubscribe = runtime.on('*', (event) => {
    if (event.type === 'client:registered' || event.type === 'client:unregistered') {
      models = modelsOf();
    }
    broadcast();
  });

  const chat = chatHandler({ runtime, metrics, logger, maxBodyBytes, models: () => models });

  function unauthorized(res: ServerResponse, message: string): void {
    sendError(res, simpleError(401, 'authentication_error', 'UNAUTHORIZED', message));
  }

  function unknownClient(res: ServerResponse, name: string): void {
    sendError(
      res,
      simpleError(
        404,
        'invalid_request_error',
        'UNKNOWN_CLIENT',
        `no client named ${JSON.stringify(name)}`,
      ),
    );
  }

  function health(res: ServerResponse, name: string | undefined): void {
    if (name === undefined) return sendJson(res, 200, runtime.health());
    if (!models.has(name)) {
      return unknownClient(res, name);
    }
    sendJson(res, 200, runtime.health(name));
  }

  function ready(res: ServerResponse): void {
    const clients = runtime.health() as Record<string, ClientHealth>;
    const running = Object.values(clients).filter((h) => h.status === 'running').length;
    const ok = !draining && running > 0;
    sendJson(res, ok ? 200 : 503, {
      status: ok ? 'ready' : draining ? 'draining' : 'no client running',
      clients: Object.fromEntries(Object.values(clients).map((h) => [h.name, h.status])),
    });
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    // A HEAD has no body to stream: its headers are the whole answer.
    if (req.method === 'HEAD') return void res.end();
    res.write('retry: 1000\n\n' + snapshot());
    dashboards.add(res);
    req.on('close', () => dashboards.delete(res));
  }

  async function admin(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    action: string,
  ): Promise<void> {
    if (adminToken === undefined) {
      return sendError(
        res,
        simpleError(
          403,
          'permission_error',
          'ADMIN_DISABLED',
          'the admin routes are disabled: the gateway has no admin token',
        ),
      );
    }
    if (!tokenMatches(bearer(req), adminToken)) {
      return unauthorized(res, 'a valid admin token is required (Authorization: Bearer <token>)');
    }
    if (!models.has(name)) {
      return unknownClient(res, name);
    }
    if (action === 'restart') {
      await runtime.restart(name);
      logger.info({ client: name }, 'client restarted by an admin');
      return sendJson(res, 202, { restarted: name });
    }
    await runtime.clearCache(name);
    logger.info({ client: name }, 'client cache cleared by an admin');
    sendJson(res, 202, { cleared: name });
  }

  /** A path segment decoded, or undefined when its percent-encoding is malformed. */
  function segment(encoded: string): string | undefined {
    try {
      return decodeURIComponent(encoded);
    } catch {
      return undefined;
    }
  }

  function badPath(res: ServerResponse, path: string): void {
    sendError(
      res,
      simpleError(
        400,
        'invalid_request_error',
        'INVALID_REQUEST',
        `malformed percent-encoding in ${JSON.stringify(path.slice(0, 200))}`,
      ),
    );
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    if (path.startsWith('/v1/') && apiKeys.length > 0 && !tokenMatches(bearer(req), apiKeys)) {
      return unauthorized(res, 'a valid API key is required (Authorization: Bearer <key>)');
    }
    if (path === '/v1/chat/completions') {
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      return chat(req, res);
    }
    if (method === 'POST' && path.startsWith('/admin/clients/')) {
      const match = /^\/admin\/clients\/([^/]+)\/(restart|clear-cache)$/.exec(path);
      if (match) {
        const name = segment(match[1]!);
        return name === undefined ? badPath(res, path) : admin(req, res, name, match[2]!);
      }
    }
    if (method !== 'GET' && method !== 'HEAD') return notFound(res, method, path);
    switch (path) {
      case '/v1/models':
        return sendJson(res, 200, {
          object: 'list',
          data: runtime
            .clients()
            .map((id) => ({ id, object: 'model', created: 0, owned_by: 'llm-actors' })),
        });
      case '/health':
        return health(res, undefined);
      case '/livez':
        return sendJson(res, 200, { status: 'ok' });
      case '/readyz':
        return ready(res);
      case '/metrics': {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        return void res.end(text);
      }
      case '/events':
        return events(req, res);
      case '/favicon.ico':
        res.writeHead(204);
        return void res.end();
      case '/':
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': DASHBOARD_CSP,
          'x-content-type-options': 'nosniff',
        });
        return void res.end(page);
    }
    if (path.startsWith('/health/')) {
      const name = segment(path.slice(8));
      return name === undefined ? badPath(res, path) : health(res, name);
    }
    notFound(res, method, path);
  }

  function methodNotAllowed(res: ServerResponse, allow: string): void {
    sendError(res, {
      ...simpleError(405, 'invalid_request_error', 'METHOD_NOT_ALLOWED', `use ${allow}`),
      headers: { allow },
    });
  }

  function notFound(res: ServerResponse, method: string, path: string): void {
    sendError(
      res,
      simpleError(404, 'invalid_request_error', 'NOT_FOUND', `no route ${method} ${path}`),
    );
  }

  const server = createServer((req, res) => {
    active.add(res);
    // Draining: answer, then close the connection, so keep-alive callers go elsewhere and the
    // requests under way can reach none.
    if (draining) res.setHeader('connection', 'close');
    res.on('close', () => {
      active.delete(res);
      if (active.size === 0) idle?.();
    });
    route(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'gateway route failed');
      if (!res.headersSent) sendError(res, errorAnswer(error));
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url, clients: runtime.clients() }, 'gateway listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    close({ timeoutMs = 10_000 } = {}) {
      closing ??= (async () => {
        draining = true;
        clearInterval(ticker);
        unsubscribe();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const res of dashboards) res.end();
        dashboards.clear();
        server.closeIdleConnections();
        for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
        if (active.size > 0) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            new Promise<void>((resolve) => (idle = resolve)),
            new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
          ]);
          clearTimeout(timer);
        }
        server.closeAllConnections();
        await closed;
        logger.info('gateway closed');
      })();
      return closing;
    },
  };
}
