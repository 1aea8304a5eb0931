/**
 * The gateway's routes as a table (method and path to handler) and the dispatch over it: API
 * key check on `/v1/*`, an exact path looked up first, then the paths that end in a parameter.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { isLlmActorsError } from '../model/errors.js';
import type { Runtime } from '../runtime.js';
import type { ClientDirectory } from './clients.js';
import type { DashboardEvents } from './dashboard-events.js';
import { dashboardRoutes } from './dashboard-routes.js';
import {
  bearer,
  methodNotAllowed,
  notFound,
  segment,
  sendError,
  sendJson,
  simpleError,
  tokenMatches,
  unauthorized,
  unknownClient,
} from './http.js';
import type { GatewayMetrics } from './metrics.js';
import { isClientHealth } from '../observe/health.js';
import { openHealth, openHealthOfAll } from './open-health.js';
import { errorAnswer } from './wire.js';

/** A route's handler; `param` is the rest of the path after a prefix route's prefix. */
export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  param: string,
) => void | Promise<void>;

/** One row of the table. */
export interface Route {
  /** `GET` also serves `HEAD`, whose answer node sends without its body. */
  method: 'GET' | 'POST';
  /** The exact path, or with `prefix` the start of the path before the parameter. */
  path: string;
  prefix?: boolean;
  /** Other methods on this exact path get 405 naming this one, rather than 404. */
  onlyMethod?: boolean;
  handle: Handler;
}

/** What the routes serve. */
export interface RouteContext {
  runtime: Runtime;
  logger: Logger;
  metrics: GatewayMetrics;
  clients: ClientDirectory;
  dashboards: DashboardEvents;
  chat: Handler;
  /** `POST /v1/responses`: the Responses API on the same runtime. */
  responses: Handler;
  /** Digest of the admin token; undefined: the admin routes are disabled. */
  adminToken: Buffer[] | undefined;
  draining(): boolean;
}

/**
 * The gateway's route table: one literal, long by design, so that the whole HTTP surface reads
 * in one place; each handler is a line or calls a function of its own.
 */
export function gatewayRoutes(context: RouteContext): Route[] {
  const { runtime, metrics, clients, dashboards } = context;
  return [
    { method: 'POST', path: '/v1/chat/completions', onlyMethod: true, handle: context.chat },
    { method: 'POST', path: '/v1/responses', onlyMethod: true, handle: context.responses },
    {
      method: 'GET',
      path: '/v1/models',
      handle: (_req, res) =>
        sendJson(res, 200, {
          object: 'list',
          data: [...runtime.clients(), ...runtime.groups()].map((id) => ({
            id,
            object: 'model',
            created: 0,
            owned_by: 'llm-actors',
          })),
        }),
    },
    {
      method: 'GET',
      path: '/v1/models/',
      prefix: true,
      handle(_req, res, encoded) {
        const id = segment(res, encoded, `/v1/models/${encoded}`);
        if (id === undefined) return;
        if (clients.get(id) === undefined) return unknownClient(res, id);
        sendJson(res, 200, { id, object: 'model', created: 0, owned_by: 'llm-actors' });
      },
    },
    {
      method: 'GET',
      path: '/health',
      handle: (_req, res) => sendJson(res, 200, openHealthOfAll(runtime.health())),
    },
    {
      method: 'GET',
      path: '/health/',
      prefix: true,
      handle(_req, res, encoded) {
        const name = segment(res, encoded, `/health/${encoded}`);
        if (name === undefined) return;
        if (clients.get(name) === undefined) return unknownClient(res, name);
        sendJson(res, 200, openHealth(runtime.health(name)));
      },
    },
    { method: 'GET', path: '/livez', handle: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    { method: 'GET', path: '/readyz', handle: (_req, res) => ready(context, res) },
    {
      method: 'GET',
      path: '/metrics',
      async handle(_req, res) {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      },
    },
    { method: 'GET', path: '/events', handle: (req, res) => dashboards.open(req, res) },
    {
      method: 'GET',
      path: '/favicon.ico',
      handle(_req, res) {
        res.writeHead(204);
        res.end();
      },
    },
    ...dashboardRoutes(runtime),
    {
      method: 'POST',
      path: '/admin/clients/',
      prefix: true,
      handle: (req, res, rest) => admin(context, req, res, rest),
    },
  ];
}

/** `/readyz`: 200 while a client runs and the gateway is not draining. */
function ready(context: RouteContext, res: ServerResponse): void {
  const clients = Object.values(context.runtime.health()).filter(isClientHealth);
  const draining = context.draining();
  const ok = !draining && clients.some((h) => h.status === 'running');
  sendJson(res, ok ? 200 : 503, {
    status: ok ? 'ready' : draining ? 'draining' : 'no client running',
    clients: Object.fromEntries(clients.map((h) => [h.name, h.status])),
  });
}

/** `POST /admin/clients/<name>/restart` and `.../clear-cache`, behind the admin token. */
async function admin(
  context: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  rest: string,
): Promise<void> {
  const match = /^([^/]+)\/(restart|clear-cache)$/.exec(rest);
  if (match === null) return notFound(res, 'POST', `/admin/clients/${rest}`);
  const name = segment(res, match[1]!, `/admin/clients/${rest}`);
  if (name === undefined) return;
  const { runtime, logger, adminToken } = context;
  if (adminToken === undefined) {
    const message = 'the admin routes are disabled: the gateway has no admin token';
    return sendError(res, simpleError(403, 'permission_error', 'ADMIN_DISABLED', message));
  }
  if (!tokenMatches(bearer(req), adminToken)) {
    return unauthorized(res, 'a valid admin token is required (Authorization: Bearer <token>)');
  }
  if (context.clients.get(name) === undefined) return unknownClient(res, name);
  if (match[2] === 'restart') {
    await runtime.restart(name);
    logger.info({ client: name }, 'client restarted by an admin');
    return sendJson(res, 202, { restarted: name });
  }
  try {
    await runtime.clearCache(name);
  } catch (error) {
    // 202 only for a clear that happened: a store that could not be reached is 503, saying so.
    const answer = errorAnswer(error);
    const unreachable = isLlmActorsError(error, 'NETWORK_ERROR');
    logger.warn({ client: name, code: answer.body.error.code }, 'client cache not cleared');
    return sendError(res, unreachable ? { ...answer, status: 503 } : answer);
  }
  logger.info({ client: name }, 'client cache cleared by an admin');
  sendJson(res, 202, { cleared: name });
}

/**
 * The dispatch over `routes`: answers 401 on `/v1/*` without one of `apiKeys` (when there are
 * any), 405 or 404 when nothing matches. Returns the handler's promise, if it made one.
 */
export function dispatcher(
  routes: readonly Route[],
  apiKeys: readonly Buffer[],
): (req: IncomingMessage, res: ServerResponse) => void | Promise<void> {
  const exact = new Map<string, Map<string, Handler>>();
  const prefixed = new Map<string, Map<string, Handler>>();
  /** With `onlyMethod`: per exact path, the method other methods are told to use. */
  const allow = new Map<string, string>();
  for (const route of routes) {
    const table = route.prefix === true ? prefixed : exact;
    let byMethod = table.get(route.path);
    if (byMethod === undefined) table.set(route.path, (byMethod = new Map()));
    byMethod.set(route.method, route.handle);
    if (route.method === 'GET') byMethod.set('HEAD', route.handle);
    if (route.onlyMethod === true) allow.set(route.path, route.method);
  }
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    if (apiKeys.length > 0 && path.startsWith('/v1/') && !tokenMatches(bearer(req), apiKeys)) {
      return unauthorized(res, 'a valid API key is required (Authorization: Bearer <key>)');
    }
    const byMethod = exact.get(path);
    if (byMethod !== undefined) {
      const handle = byMethod.get(method);
      if (handle !== undefined) return handle(req, res, '');
      const only = allow.get(path);
      return only === undefined ? notFound(res, method, path) : methodNotAllowed(res, only);
    }
    for (const [prefix, byMethod] of prefixed) {
      const handle = path.startsWith(prefix) ? byMethod.get(method) : undefined;
      if (handle !== undefined) return handle(req, res, path.slice(prefix.length));
    }
    notFound(res, method, path);
  };
}
