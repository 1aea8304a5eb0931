/**
 * The dashboard's routes: the page at `/`, its charts' data (clients' and groups') at
 * `/dashboard/series` and the charting library (uPlot) at `/dashboard/assets/`, served from the
 * gateway's own `node_modules` so that the page needs no network but the gateway's.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLlmActorsError } from '../model/errors.js';
import type { GroupSeriesPoints } from '../groups/series.js';
import type { SeriesPoints } from '../observe/series.js';
import type { Runtime } from '../runtime.js';
import { dashboardHtml } from './dashboard.js';
import { notFound, sendJson } from './http.js';

// The page's own script and style are inline; the library comes from the gateway itself.
const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "connect-src 'self'; img-src 'self' data:";

/** The files the page loads, by the name it asks for: the package file and its type. */
const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  'uplot.min.js': { file: 'uplot/dist/uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  'uplot.min.css': { file: 'uplot/dist/uPlot.min.css', type: 'text/css; charset=utf-8' },
};

const require = createRequire(import.meta.url);
/** Each asset read once, on first request: the page costs nothing until it is opened. */
const loaded = new Map<string, Buffer>();

function asset(name: string): Buffer {
  let body = loaded.get(name);
  if (body === undefined) {
    body = readFileSync(require.resolve(ASSETS[name]!.file));
    loaded.set(name, body);
  }
  return body;
}

/** Every client's and group's last minutes, by name; one removed meanwhile is left out. */
function seriesOfAll(runtime: Runtime): Record<string, SeriesPoints | GroupSeriesPoints> {
  const all: Record<string, SeriesPoints | GroupSeriesPoints> = {};
  for (const name of [...runtime.clients(), ...runtime.groups()]) {
    try {
      all[name] = runtime.series<SeriesPoints | GroupSeriesPoints>(name);
    } catch (error) {
      if (!isLlmActorsError(error, 'UNKNOWN_CLIENT')) throw error;
    }
  }
  return all;
}

function sendAsset(res: ServerResponse, name: string): void {
  const body = asset(name);
  res.writeHead(200, {
    'content-type': ASSETS[name]!.type,
    'content-length': String(body.length),
    // The file changes only with the package, and the page names no version: a day is long
    // enough to spare the reloads and short enough to pick up an upgrade.
    'cache-control': 'public, max-age=86400',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

/**
 * A row of the gateway's route table, as `routes.ts` reads it (written out here, not imported,
 * since the table imports these rows).
 */
export interface DashboardRoute {
  method: 'GET';
  path: string;
  prefix?: boolean;
  handle(req: IncomingMessage, res: ServerResponse, param: string): void;
}

/** The dashboard's rows of the gateway's route table. */
export function dashboardRoutes(runtime: Runtime): DashboardRoute[] {
  const page = dashboardHtml();
  return [
    {
      method: 'GET',
      path: '/',
      handle(_req, res) {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': DASHBOARD_CSP,
          'x-content-type-options': 'nosniff',
        });
        res.end(page);
      },
    },
    {
      method: 'GET',
      path: '/dashboard/series',
      handle: (_req, res) => sendJson(res, 200, { now: Date.now(), clients: seriesOfAll(runtime) }),
    },
    {
      method: 'GET',
      path: '/dashboard/assets/',
      prefix: true,
      handle(req, res, name) {
        if (!Object.hasOwn(ASSETS, name)) return notFound(res, req.method ?? 'GET', req.url ?? '');
        sendAsset(res, name);
      },
    },
  ];
}
