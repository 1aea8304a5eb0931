/**
 * The gateway: the runtime's named clients behind one OpenAI-compatible HTTP endpoint, with
 * health, Prometheus metrics and a live dashboard. Plain `node:http`: the gateway adds a JSON
 * parse, a runtime call and a JSON write to each request, and nothing else on that path.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import type { Runtime } from '../runtime.js';
import { chatHandlers } from './chat.js';
import { withRequestContext } from './request-context.js';
import { ClientDirectory } from './clients.js';
import { DashboardEvents } from './dashboard-events.js';
import { Drain } from './drain.js';
import { digest, sendError } from './http.js';
import {
  checkingIntervalMs,
  DEFAULT_LIMITS,
  guardConnections,
  type ConnectionLimits,
} from './limits.js';
import { createMetrics } from './metrics.js';
import { dispatcher, gatewayRoutes } from './routes.js';
import { errorAnswer } from './wire.js';
import { LlmActorsError } from '../model/errors.js';

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
  /**
   * Unsent bytes a dashboard event stream may hold; a reader further behind is disconnected.
   * Default 1 MiB.
   */
  eventsBufferBytes?: number;
  /**
   * How long a connection may take to send a request's headers, ms; then it gets 408 and is
   * closed. Default 10 000.
   */
  headersTimeoutMs?: number;
  /**
   * How long a connection may take to send a whole request, headers and body, ms; then it gets
   * 408 and is closed. At least `headersTimeoutMs`. Default 60 000.
   */
  requestTimeoutMs?: number;
  /**
   * How long a chat request's body may take to arrive once its headers are in, ms; then it gets
   * 408 `BODY_TIMEOUT` and its connection is closed. Default 30 000.
   */
  bodyTimeoutMs?: number;
  /**
   * How long an idle keep-alive connection stays open, ms. Default 5 000; behind a load balancer
   * that keeps idle connections longer, set it above the balancer's idle timeout.
   */
  keepAliveTimeoutMs?: number;
  /**
   * Open connections at most; the next ones are answered 503 `TOO_MANY_CONNECTIONS` and closed
   * without being read. Default 10 000.
   */
  maxConnections?: number;
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
const DEFAULT_EVENTS_BUFFER = 1024 * 1024;

/**
 * Starts the gateway in front of `runtime` and resolves once it listens.
 *
 * @example
 * ```ts
 * const gateway = await createGateway(runtime, { port: 8787, apiKeys: [process.env.GATEWAY_KEY!] });
 * // POST http://127.0.0.1:8787/v1/chat/completions { "model": "<client name>", "messages": [...] }
 * ```
 * @throws {@link LlmActorsError} INVALID_CONFIG when `headersTimeoutMs` exceeds `requestTimeoutMs`.
 */
export async function createGateway(
  runtime: Runtime,
  options: GatewayOptions = {},
): Promise<Gateway> {
  // Longer than most functions here on purpose: the wiring of every part of the gateway, in
  // the order they depend on each other, reads best in one place.
  const logger =
    options.logger === false
      ? pino({ enabled: false })
      : (options.logger ?? pino({ name: 'llm-actors-gateway' }));
  const metrics = createMetrics(runtime);
  const clients = new ClientDirectory(runtime, metrics);
  const limits = connectionLimits(options);
  const dashboards = new DashboardEvents(runtime, {
    intervalMs: options.eventsIntervalMs ?? 1_000,
    bufferBytes: options.eventsBufferBytes ?? DEFAULT_EVENTS_BUFFER,
    logger,
  });
  const drain = new Drain();
  const unsubscribe = runtime.on('*', (event) => {
    if (event.type === 'client:registered' || event.type === 'client:unregistered') {
      clients.refresh();
    }
    dashboards.broadcast();
  });
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const routes = gatewayRoutes({
    runtime,
    logger,
    metrics,
    clients,
    dashboards,
    ...chatHandlers({
      runtime,
      clients,
      logger,
      maxBodyBytes,
      bodyTimeoutMs: limits.bodyTimeoutMs,
    }),
    adminToken: options.adminToken === undefined ? undefined : [digest(options.adminToken)],
    draining: () => drain.draining,
  });
  const dispatch = withRequestContext(dispatcher(routes, (options.apiKeys ?? []).map(digest)));
  const server = createServer(
    { connectionsCheckingInterval: checkingIntervalMs(limits) },
    requestListener(dispatch, drain, logger),
  );
  guardConnections(server, limits, logger);
  const url = await listen(server, options.port ?? DEFAULT_PORT, options.host ?? '127.0.0.1');
  logger.info({ url, clients: runtime.clients() }, 'gateway listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    close({ timeoutMs = 10_000 } = {}) {
      closing ??= (async () => {
        unsubscribe();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        drain.start();
        dashboards.close();
        server.closeIdleConnections();
        await drain.settled(timeoutMs);
        server.closeAllConnections();
        await closed;
        logger.info('gateway closed');
      })();
      return closing;
    },
  };
}

/** The connection limits of `options`, defaults filled in and checked. */
function connectionLimits(options: GatewayOptions): ConnectionLimits {
  const limits: ConnectionLimits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof ConnectionLimits>) {
    const value = options[key];
    if (value !== undefined) limits[key] = value;
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new LlmActorsError(
      'INVALID_CONFIG',
      `gateway: headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs})`,
      { retryable: false },
    );
  }
  return limits;
}

/**
 * The server's request listener: each response tracked for the drain, each failure answered —
 * unless its caller has gone, when there is nobody to answer and nothing went wrong here.
 */
function requestListener(
  dispatch: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
  drain: Drain,
  logger: Logger,
): (req: IncomingMessage, res: ServerResponse) => void {
  const failed = (res: ServerResponse, error: unknown) => {
    if (res.destroyed || res.req.destroyed) {
      logger.debug({ err: error }, 'the caller left before its answer');
      return;
    }
    logger.error({ err: error }, 'gateway route failed');
    if (!res.headersSent) sendError(res, errorAnswer(error));
    else res.end();
  };
  return (req, res) => {
    drain.track(res);
    try {
      dispatch(req, res)?.catch((error: unknown) => failed(res, error));
    } catch (error) {
      failed(res, error);
    }
  };
}

/** Listens on `port` and `host`; resolves with the server's URL. */
async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const ip = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${ip}:${address.port}`;
}
