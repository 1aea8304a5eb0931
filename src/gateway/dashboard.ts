/**
 * The gateway's live dashboard: one self-contained HTML page, a card per client fed by the
 * `GET /events` health stream, with a restart button per client behind the admin token.
 *
 * Everything is inline (no CDN, no web fonts, no second request) because the gateway serves it
 * under a CSP that allows inline script and style and connections to itself only. Every string
 * that comes from the server (client names, models, error messages) reaches the page through
 * `textContent` or an attribute setter, never through HTML parsing, so a hostile upstream error
 * message cannot inject markup. The script is written without template literals so that it can
 * sit inside this module's template string unescaped.
 */

const STYLE = `
:root { color-scheme: light dark; --bg: #f6f7f9; --card: #fff; --fg: #1b1f24; --muted: #5f6b7a;
  --line: #dde1e6; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --idle: #6e7781; --accent: #0969da; }
@media (prefers-color-scheme: dark) { :root { --bg: #0f1216; --card: #171b21; --fg: #e6e9ed;
  --muted: #8b949e; --line: #2a313a; --ok: #3fb950; --warn: #d29922; --bad: #f85149;
  --idle: #8b949e; --accent: #58a6ff; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.4;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { position: sticky; top: 0; z-index: 1; display: flex; flex-wrap: wrap; gap: 12px 20px;
  align-items: center; padding: 12px 20px; background: var(--card); border-bottom: 1px solid var(--line); }
h1 { margin: 0; font-size: 17px; font-weight: 650; }
.summary, .muted { color: var(--muted); }
.spacer { flex: 1; }
label { display: flex; gap: 8px; align-items: center; color: var(--muted); }
input { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line);
  border-radius: 6px; padding: 5px 8px; width: 14em; }
main { display: grid; gap: 16px; padding: 20px; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--ok);
  border-radius: 10px; padding: 14px 16px; display: flex; flex-direction: column; gap: 10px; min-width: 0; }
.card[data-level="warn"] { border-left-color: var(--warn); }
.card[data-level="bad"] { border-left-color: var(--bad); }
.card h2 { margin: 0; font-size: 16px; overflow-wrap: anywhere; }
.model { color: var(--muted); font-size: 12.5px; overflow-wrap: anywhere; }
.badges { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.badge { border-radius: 999px; padding: 1px 9px; font-size: 12px; font-weight: 600;
  border: 1px solid currentColor; }
[data-state="running"], [data-state="closed"], [data-state="live"], [data-state="ok"] { color: var(--ok); }
[data-state="restarting"], [data-state="half_open"], [data-state="connecting"],
[data-state="reconnecting"], [data-state="pending"] { color: var(--warn); }
[data-state="failed"], [data-state="open"], [data-state="error"] { color: var(--bad); }
[data-state="stopped"] { color: var(--idle); }
.retry { font-size: 12px; color: var(--bad); font-variant-numeric: tabular-nums; }
dl { display: grid; grid-template-columns: repeat(4, 1fr); gap: 8px; margin: 0; }
dl div { min-width: 0; }
dt { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
dd { margin: 0; font-size: 15px; font-weight: 600; font-variant-numeric: tabular-nums; white-space: nowrap; }
.error { font-size: 12.5px; border-top: 1px solid var(--line); padding-top: 8px; min-height: 2.6em; }
.error code { color: var(--bad); font-weight: 600; margin-right: 6px; }
.error .msg { overflow-wrap: anywhere; display: -webkit-box; -webkit-line-clamp: 3;
  -webkit-box-orient: vertical; overflow: hidden; }
.actions { display: flex; gap: 10px; align-items: center; }
button { font: inherit; font-weight: 600; color: var(--accent); background: transparent;
  border: 1px solid var(--line); border-radius: 6px; padding: 4px 12px; cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .5; cursor: progress; }
.result { font-size: 12.5px; overflow-wrap: anywhere; }
.empty { grid-column: 1 / -1; text-align: center; color: var(--muted); padding: 40px; }
`;

const SCRIPT = `
'use strict';
var grid = document.getElementById('grid');
var connection = document.getElementById('connection');
var updated = document.getElementById('updated');
var summary = document.getElementById('summary');
var tokenInput = document.getElementById('token');
var cards = new Map();
var skew = 0;
var lastAt = 0;
var WINDOW_MS = 5000;

try { tokenInput.value = sessionStorage.getItem('llm-actors-admin-token') || ''; } catch (e) {}
document.getElementById('auth').addEventListener('submit', function (e) { e.preventDefault(); });
tokenInput.addEventListener('input', function () {
  try { sessionStorage.setItem('llm-actors-admin-token', tokenInput.value); } catch (e) {}
});

function el(tag, cls, testid) {
  var node = document.createElement(tag);
  if (cls) node.className = cls;
  if (testid) node.setAttribute('data-testid', testid);
  return node;
}
function setState(node, state, text) {
  node.setAttribute('data-state', state);
  node.textContent = text;
}
function metric(dl, label, testid) {
  var box = el('div'); var dt = el('dt'); var dd = el('dd', '', testid);
  dt.textContent = label; dd.textContent = '\\u2014';
  box.append(dt, dd); dl.append(box);
  return dd;
}
function ms(v) {
  if (!(v > 0)) return '\\u2014';
  if (v < 10) return v.toFixed(2) + ' ms';
  if (v < 1000) return Math.round(v) + ' ms';
  return (v / 1000).toFixed(2) + ' s';
}
function ago(at) {
  var s = Math.max(0, Math.round((Date.now() + skew - at) / 1000));
  return s < 60 ? s + 's ago' : s < 3600 ? Math.round(s / 60) + 'm ago' : Math.round(s / 3600) + 'h ago';
}

function createCard(name) {
  var c = { name: name, samples: [], retryAt: null, errorAt: null, errorKey: null };
  c.root = el('article', 'card', 'card-' + name);
  var title = el('h2', '', 'name'); title.textContent = name;
  c.model = el('div', 'model', 'model');
  var badges = el('div', 'badges');
  c.status = el('span', 'badge', 'status');
  c.fuse = el('span', 'badge', 'fuse');
  c.retry = el('span', 'retry', 'retry-in');
  badges.append(c.status, c.fuse, c.retry);
  var dl = el('dl');
  c.hitRate = metric(dl, 'hit rate', 'hit-rate');
  c.p50 = metric(dl, 'p50', 'p50');
  c.p99 = metric(dl, 'p99', 'p99');
  c.throughput = metric(dl, 'req/s', 'throughput');
  c.inFlight = metric(dl, 'in flight', 'in-flight');
  c.queued = metric(dl, 'queued', 'queued');
  c.restarts = metric(dl, 'restarts', 'restarts');
  c.melts = metric(dl, 'melts', 'melts');
  c.error = el('div', 'error', 'last-error');
  var actions = el('div', 'actions');
  c.button = el('button', '', 'restart'); c.button.type = 'button'; c.button.textContent = 'Restart';
  c.result = el('span', 'result', 'restart-result');
  c.button.addEventListener('click', function () { restart(c); });
  actions.append(c.button, c.result);
  c.root.append(title, c.model, badges, dl, c.error, actions);
  return c;
}

function renderError(c, last) {
  c.error.replaceChildren();
  c.errorAt = last ? last.at : null;
  if (!last) { c.error.classList.add('muted'); c.error.textContent = 'no errors'; return; }
  c.error.classList.remove('muted');
  var code = el('code'); code.textContent = last.code;
  c.when = el('span', 'muted'); c.when.textContent = ago(last.at);
  var msg = el('div', 'msg'); msg.textContent = last.message; msg.title = last.message;
  c.error.append(code, c.when, msg);
}

function throughput(c, total, now) {
  var s = c.samples;
  if (s.length && total < s[s.length - 1].total) s.length = 0;
  s.push({ total: total, now: now });
  while (s.length > 2 && now - s[1].now >= WINDOW_MS) s.shift();
  var first = s[0];
  if (s.length < 2 || now <= first.now) return '\\u2014';
  return ((total - first.total) * 1000 / (now - first.now)).toFixed(1);
}

function render(c, h, now) {
  c.model.textContent = h.provider + ' \\u00b7 ' + h.model;
  setState(c.status, h.status, h.status);
  setState(c.fuse, h.fuse.state, 'fuse ' + h.fuse.state.replace('_', '-'));
  c.retryAt = h.fuse.state === 'open' ? h.fuse.retryAt : null;
  var lookups = h.cache.hits + h.cache.misses;
  c.hitRate.textContent = lookups ? Math.round(h.cache.hitRate * 100) + '%' : '\\u2014';
  c.hitRate.title = h.cache.hits + ' hits / ' + lookups + ' lookups';
  c.p50.textContent = ms(h.latencyMs.p50);
  c.p99.textContent = ms(h.latencyMs.p99);
  c.throughput.textContent = throughput(c, h.requests.total, now);
  c.inFlight.textContent = String(h.requests.inFlight);
  c.queued.textContent = String(h.requests.queued);
  c.restarts.textContent = String(h.restarts);
  c.melts.textContent = String(h.fuse.melts);
  var le = h.lastError;
  var key = le ? le.at + ' ' + le.code + ' ' + le.message : '';
  if (key !== c.errorKey) { c.errorKey = key; renderError(c, le); }
  var bad = h.status === 'failed' || h.fuse.state === 'open';
  var warn = h.status !== 'running' || h.fuse.state !== 'closed';
  c.root.setAttribute('data-level', bad ? 'bad' : warn ? 'warn' : 'ok');
}

function tick() {
  var now = Date.now() + skew;
  cards.forEach(function (c) {
    if (c.retryAt === null) { c.retry.textContent = ''; }
    else {
      var left = Math.ceil((c.retryAt - now) / 1000);
      c.retry.textContent = left > 0 ? 'retry in ' + left + 's' : 'probe due';
    }
    if (c.errorAt !== null && c.when) c.when.textContent = ago(c.errorAt);
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
    if (!(name in data.clients)) { c.root.remove(); cards.delete(name); }
  });
  var open = 0;
  names.forEach(function (name, i) {
    var c = cards.get(name);
    if (!c) { c = createCard(name); cards.set(name, c); }
    if (grid.children[i] !== c.root) grid.insertBefore(c.root, grid.children[i] || null);
    render(c, data.clients[name], data.now);
    if (data.clients[name].fuse.state !== 'closed') open++;
  });
  document.getElementById('empty').hidden = names.length > 0;
  summary.textContent = names.length + (names.length === 1 ? ' client' : ' clients') +
    (open ? ' \\u00b7 ' + open + ' fuse' + (open === 1 ? '' : 's') + ' not closed' : '');
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
<style>${STYLE}</style>
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
<script>${SCRIPT}</script>
</body>
</html>
`;

/**
 * The dashboard page the gateway serves at `GET /`: a live card per client (status, fuse with
 * its retry countdown, cache hit rate, latency, throughput, load, restarts, last error) from the
 * `GET /events` stream, and a restart button per client that posts to
 * `/admin/clients/<name>/restart` with the admin token typed in the page (kept in
 * sessionStorage). Elements carry `data-testid` attributes (`card-<name>`, `status`, `fuse`,
 * `retry-in`, `hit-rate`, `p50`, `p99`, `throughput`, `restarts`, `last-error`, `restart`,
 * `restart-result`, `connection`, `admin-token`) for tests and scripts.
 *
 * @example
 * ```ts
 * res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(dashboardHtml());
 * ```
 */
export function dashboardHtml(): string {
  return PAGE;
}
