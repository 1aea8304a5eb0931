/**
 * What every gateway answer carries and every request runs in: its id (`x-request-id`, the
 * caller's own when it is a sane token, else one made here) and, while a tracer is registered,
 * the trace the caller's W3C `traceparent` names, so the request's span continues it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nanoid } from 'nanoid';
import { isRequestId } from '../model/request-id.js';
import { tracing } from '../observe/tracing.js';

/** The header a request id comes in and goes back in. */
const REQUEST_ID_HEADER = 'x-request-id';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * Wraps the gateway's dispatch: each answer gets its `x-request-id` (the id the runtime logs the
 * request under, see {@link requestIdOf}), and the handler runs in the caller's trace context.
 */
export function withRequestContext(handler: Handler): Handler {
  // Ids the way the runtime makes its own: a random prefix per gateway and a counter.
  const prefix = `gw-${nanoid(10)}`;
  let served = 0;
  return (req, res) => {
    const given = req.headers[REQUEST_ID_HEADER];
    const id = isRequestId(given) ? given : `${prefix}.${(++served).toString(36)}`;
    res.setHeader(REQUEST_ID_HEADER, id);
    const t = tracing();
    if (t === undefined || !t.on()) return handler(req, res);
    const api = t.api;
    const parent = api.propagation.extract(api.context.active(), req.headers);
    return api.context.with(parent, handler, undefined, req, res);
  };
}

/** The id of the request `res` answers (set by {@link withRequestContext}). */
export function requestIdOf(res: ServerResponse): string | undefined {
  const id = res.getHeader(REQUEST_ID_HEADER);
  return typeof id === 'string' ? id : undefined;
}
