/**
 * The gateway's live dashboard: one HTML page, a card per client and per group fed by the
 * `GET /events` health stream, charts of the last minutes from `GET /dashboard/series`, and a
 * restart button per client behind the admin token.
 *
 * The page's own script and style are inline and the charting library (uPlot) is served by the
 * gateway from its `node_modules`, under a CSP that allows connections to the gateway only: no
 * CDN, no web fonts, no network at run time but the gateway's. The script is written without
 * template literals so that it can sit inside this module's template string unescaped.
 */
import { CARDS_SCRIPT } from './dashboard-cards.js';
import { CHARTS_SCRIPT } from './dashboard-charts.js';
import { GROUP_SCRIPT } from './dashboard-group.js';
import { DASHBOARD_STYLE } from './dashboard-style.js';

const SCRIPT = `
var grid = document.getElementById('grid');
var connection = document.getElementById('connection');
var updated = document.getElementById('updated');
var summary = document.getElementById('summary');
var tokenInput = document.getElementById('token');
var cards = new Map();
var skew = 0;
var lastAt = 0;
var WINDOW_MS = 5000;
var seriesStarted = false;

try { tokenInput.value = sessionStorage.getItem('llm-actors-admin-token') || ''; } catch (e) {}
document.getElementById('auth').addEventListener('submit', function (e) { e.preventDefault(); });
tokenInput.addEventListener('input', function () {
  try { sessionStorage.setItem('llm-actors-admin-token', tokenInput.value); } catch (e) {}
});

function ago(at) {
  var s = Math.max(0, Math.round((Date.now() + skew - at) / 1000));
  return s < 60 ? s + 's ago' : s < 3600 ? Math.round(s / 60) + 'm ago' : Math.round(s / 3600) + 'h ago';
}
function tick() {
  var now = Date.now() + skew;
  cards.forEach(function (c) {
    if (c.kind === 'client') countdown(c, now);
    c.stamps.forEach(function (s) { s.node.textContent = ago(s.at); });
  });
  if (lastAt) updated.textContent = 'updated ' + ago(lastAt);
}

function onHealth(ev) {
  var data;
  try { data = JSON.parse(ev.data); } catch (e) { return; }
  skew = data.now - Date.now();
  lastAt = data.now;
  var names = Object.keys(data.clients).sort();
  cards.forEach(function (c, name) {
    var h = data.clients[name];
    if (!h || (h.kind === 'group') !== (c.kind === 'group')) { c.root.remove(); cards.delete(name); }
  });
  var open = 0, groups = 0;
  names.forEach(function (name, i) {
    var h = data.clients[name];
    var group = h.kind === 'group';
    var c = cards.get(name);
    if (!c) { c = group ? createGroupCard(name) : createCard(name); cards.set(name, c); }
    if (grid.children[i] !== c.root) grid.insertBefore(c.root, grid.children[i] || null);
    if (group) { groups++; renderGroup(c, h); return; }
    render(c, h, data.now);
    if (h.fuse.state !== 'closed') open++;
  });
  document.getElementById('empty').hidden = names.length > 0;
  var clients = names.length - groups;
  summary.textContent = clients + (clients === 1 ? ' client' : ' clients') +
    (groups ? ' \\u00b7 ' + groups + (groups === 1 ? ' group' : ' groups') : '') +
    (open ? ' \\u00b7 ' + open + ' fuse' + (open === 1 ? '' : 's') + ' not closed' : '');
  if (!seriesStarted) { seriesStarted = true; pollSeries(); }
  setState(connection, 'live', 'live');
  tick();
}

function restart(c) {
  var token = tokenInput.value.trim();
  if (!token) {
    setState(c.result, 'error', 'enter the admin token above first');
    tokenInput.focus();
    return;
  }
  c.button.disabled = true;
  setState(c.result, 'pending', 'restarting\\u2026');
  fetch('/admin/clients/' + encodeURIComponent(c.name) + '/restart', {
    method: 'POST', headers: { Authorization: 'Bearer ' + token },
  }).then(function (res) {
    return res.json().catch(function () { return null; }).then(function (body) {
      if (res.ok) { setState(c.result, 'ok', 'restarted'); return; }
      var reason = res.status === 401 ? 'unauthorized: wrong admin token'
        : res.status === 403 ? 'forbidden: admin is disabled on this gateway'
        : res.status === 404 ? 'unknown client'
        : (body && body.error && body.error.message) || res.statusText;
      setState(c.result, 'error', res.status + ' ' + reason);
    });
  }, function () {
    setState(c.result, 'error', 'network error');
  }).finally(function () { c.button.disabled = false; });
}

var source = new EventSource('/events');
source.addEventListener('health', onHealth);
source.onopen = function () { setState(connection, 'live', 'live'); };
source.onerror = function () {
  if (source.readyState === EventSource.CLOSED) setState(connection, 'error', 'disconnected');
  else setState(connection, 'reconnecting', 'reconnecting\\u2026');
};
setInterval(tick, 250);
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>llm-actors gateway</title>
<link rel="stylesheet" href="/dashboard/assets/uplot.min.css">
<style>${DASHBOARD_STYLE}</style>
<script src="/dashboard/assets/uplot.min.js"></script>
</head>
<body>
<header>
  <h1>llm-actors</h1>
  <span id="connection" class="badge" data-testid="connection" data-state="connecting">connecting…</span>
  <span id="summary" class="summary" data-testid="summary"></span>
  <span id="updated" class="muted"></span>
  <span class="spacer"></span>
  <form id="auth"><label>Admin token <input id="token" data-testid="admin-token" type="password" autocomplete="off" placeholder="for restarts"></label></form>
</header>
<main id="grid" data-testid="clients"></main>
<p id="empty" class="empty">Waiting for the first health snapshot…</p>
<script>'use strict';${CARDS_SCRIPT}${GROUP_SCRIPT}${CHARTS_SCRIPT}${SCRIPT}</script>
</body>
</html>
`;

/**
 * The dashboard page the gateway serves at `GET /`: a live card per client (status, fuse with
 * its retry countdown, parking with its countdown, cache hit rate, latency, throughput, load,
 * restarts, totals and cost, the provider's last failure apart from the last error, charts of
 * the last minutes) and per group (strategy, members with their status, fuse, readiness and
 * load, calls, failovers, hedges, resumed streams, latency, last error, the members' cost) from
 * the `GET /events` stream and `GET /dashboard/series`, and a restart button per client that
 * posts to `/admin/clients/<name>/restart` with the admin token typed in the page (kept in
 * sessionStorage). Elements carry `data-testid` attributes (`card-<name>`, `status`, `fuse`,
 * `retry-in`, `parked`, `hit-rate`, `p50`, `p99`, `throughput`, `restarts`, `total`, `errors`,
 * `caller-faults`, `cost`, `last-cause`, `last-error`, `chart-requests`, `chart-latency`,
 * `chart-tokens`, `chart-cost`, `restart`, `restart-result`, `connection`, `admin-token`; on a
 * group card `strategy`, `members`, `member-<name>` holding `member-status`, `member-fuse`,
 * `member-ready` and `member-load`, `failovers`, `hedges`, `resumed-streams`) for tests and
 * scripts.
 *
 * @example
 * ```ts
 * res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(dashboardHtml());
 * ```
 */
export function dashboardHtml(): string {
  return PAGE;
}
