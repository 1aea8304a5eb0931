/**
 * What a connection may hold of the gateway before it has proved anything: how long its headers
 * and its request may take, how long an idle keep-alive connection stays, and how many
 * connections may be open at once. Connections past the cap are answered 503 and closed at once,
 * so that a flood of half-sent requests costs the gateway a bounded number of sockets and
 * `/livez` and keyed callers still get through once the held ones time out.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

/** The connection limits of a gateway, every one set (see `GatewayOptions` for the defaults). */
export interface ConnectionLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  bodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** The defaults, documented in docs/gateway.md. */
export const DEFAULT_LIMITS: Readonly<ConnectionLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  bodyTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 10_000,
};

const OVER_CAP_BODY = JSON.stringify({
  error: {
    message: 'the gateway has too many open connections; retry shortly',
    type: 'server_error',
    code: 'TOO_MANY_CONNECTIONS',
    param: null,
  },
});

/** Written raw: the connection never reaches node's HTTP parser, which would wait for a request. */
const OVER_CAP_ANSWER =
  'HTTP/1.1 503 Service Unavailable\r\n' +
  'content-type: application/json; charset=utf-8\r\n' +
  `content-length: ${Buffer.byteLength(OVER_CAP_BODY)}\r\n` +
  'retry-after: 1\r\nconnection: close\r\n\r\n' +
  OVER_CAP_BODY;

/** What node itself answers to headers that come too slowly. */
const TIMEOUT_ANSWER =
  'HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';

/**
 * How often node looks for requests past their header or request timeout: a quarter of the
 * shorter one (node's default is every 30 s, which would stretch a 10 s timeout to 40 s).
 */
export function checkingIntervalMs(limits: ConnectionLimits): number {
  const shortest = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return Math.max(25, Math.min(1_000, Math.floor(shortest / 4)));
}

/** Applies the timeouts to `server` and answers the connections past the cap with 503. */
export function guardConnections(server: Server, limits: ConnectionLimits, logger: Logger): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  let open = 0;
  let refused = 0;
  let lastLogged = 0;
  const closed = () => open--;
  const silent = silentConnections(server, limits.headersTimeoutMs);
  // node's own listener hands each socket to its HTTP parser; it runs only for the sockets
  // under the cap, so that a refused one is never parsed nor timed by node.
  const parse = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    if (open < limits.maxConnections) {
      open++;
      socket.once('close', closed);
      silent(socket);
      for (const listener of parse) listener.call(server, socket);
      return;
    }
    refused++;
    answerAndClose(socket, OVER_CAP_ANSWER);
    const now = Date.now();
    if (now - lastLogged >= 10_000) {
      lastLogged = now;
      logger.warn({ open, refused, maxConnections: limits.maxConnections }, 'connections refused');
    }
  });
}

/**
 * Closes a connection that has not started a request within `timeoutMs` of its opening. node
 * times out headers only once their first byte has come: a connection that sends nothing would
 * be held for ever.
 */
function silentConnections(server: Server, timeoutMs: number): (socket: Socket) => void {
  const waiting = new WeakMap<Socket, NodeJS.Timeout>();
  server.on('request', (req: IncomingMessage) => {
    const timer = waiting.get(req.socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    waiting.delete(req.socket);
  });
  return (socket) => {
    const timer = setTimeout(() => {
      waiting.delete(socket);
      answerAndClose(socket, TIMEOUT_ANSWER);
    }, timeoutMs);
    timer.unref();
    waiting.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  };
}

/** Sends `answer` and closes, reading nothing more; destroyed if the caller does not take it. */
function answerAndClose(socket: Socket, answer: string): void {
  socket.on('error', () => undefined);
  socket.end(answer, () => socket.destroy());
  setTimeout(() => socket.destroy(), 1_000).unref();
}
