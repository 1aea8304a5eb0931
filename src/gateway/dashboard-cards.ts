/**
 * The dashboard's client cards, as part of the page script: status, fuse and its retry
 * countdown, a parked client's countdown, load, totals, the provider's last failure apart from
 * the last error, and charts; each card kept in place and updated from every health snapshot. Every string from the server reaches the page through
 * `textContent` or an attribute setter, never through HTML parsing. Written without template
 * literals so that it can sit inside this module's template string.
 */

/** The client cards' part of the page script; `restart`, `ago` and `CHARTS` come from the others. */
export const CARDS_SCRIPT = `
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
  // A time taken on a millisecond clock (a group's) may round to nothing: say so, not 0.00.
  if (v < 0.01) return '< 0.01 ms';
  if (v < 10) return v.toFixed(2) + ' ms';
  if (v < 1000) return Math.round(v) + ' ms';
  return (v / 1000).toFixed(2) + ' s';
}
function count(v) { return v.toLocaleString('en-US'); }
function usd(v) { return '$' + (v >= 1 ? v.toFixed(2) : v.toFixed(4)); }

function createCard(name) {
  var c = { name: name, kind: 'client', samples: [], retryAt: null, parkedUntil: null, stamps: [],
    charts: {} };
  c.root = el('article', 'card', 'card-' + name);
  var title = el('h2', '', 'name'); title.textContent = name;
  c.model = el('div', 'model', 'model');
  var badges = el('div', 'badges');
  c.status = el('span', 'badge', 'status');
  c.fuse = el('span', 'badge', 'fuse');
  c.retry = el('span', 'retry', 'retry-in');
  c.parked = el('span', 'badge', 'parked'); c.parked.hidden = true;
  badges.append(c.status, c.fuse, c.retry, c.parked);
  var dl = el('dl');
  c.throughput = metric(dl, 'req/s', 'throughput');
  c.hitRate = metric(dl, 'hit rate', 'hit-rate');
  c.p50 = metric(dl, 'p50', 'p50');
  c.p99 = metric(dl, 'p99', 'p99');
  c.inFlight = metric(dl, 'in flight', 'in-flight');
  c.queued = metric(dl, 'queued', 'queued');
  c.restarts = metric(dl, 'restarts', 'restarts');
  c.melts = metric(dl, 'melts', 'melts');
  c.total = metric(dl, 'requests', 'total');
  c.errors = metric(dl, 'errors', 'errors');
  c.callerFaults = metric(dl, 'caller faults', 'caller-faults');
  c.cost = metric(dl, 'cost', 'cost');
  var errors = el('div', 'errors');
  c.cause = el('div', 'error', 'last-cause');
  c.error = el('div', 'error', 'last-error');
  errors.append(c.cause, c.error);
  var charts = el('div', 'charts');
  CHARTS.forEach(function (spec) { charts.append(chartBox(c, spec)); });
  var actions = el('div', 'actions');
  c.button = el('button', '', 'restart'); c.button.type = 'button'; c.button.textContent = 'Restart';
  c.result = el('span', 'result', 'restart-result');
  c.button.addEventListener('click', function () { restart(c); });
  actions.append(c.button, c.result);
  c.root.append(title, c.model, badges, dl, charts, errors, actions);
  return c;
}

/** One error line: its kind (cause, rejection, caller, none) colours it; its time ticks. */
function renderLast(c, node, label, last, kind, none) {
  node.replaceChildren();
  node.setAttribute('data-kind', last ? kind : 'none');
  if (!last) { node.textContent = none; return; }
  var l = el('span', 'label'); l.textContent = label;
  var code = el('code'); code.textContent = last.code;
  node.append(l, code);
  if (kind === 'caller') { var tag = el('span', 'tag'); tag.textContent = 'caller fault'; node.append(tag); }
  var when = el('span', 'muted'); when.textContent = ago(last.at);
  c.stamps.push({ node: when, at: last.at });
  var msg = el('div', 'msg'); msg.textContent = last.message;
  node.append(when, msg);
}

/** The ticking parts of a client card: the fuse's retry and the parking's countdowns. */
function countdown(c, now) {
  if (c.retryAt === null) { c.retry.textContent = ''; }
  else {
    var left = Math.ceil((c.retryAt - now) / 1000);
    c.retry.textContent = left > 0 ? 'retry in ' + left + 's' : 'probe due';
  }
  var parked = c.parkedUntil === null ? 0 : Math.ceil((c.parkedUntil - now) / 1000);
  c.parked.hidden = parked <= 0;
  if (parked > 0) setState(c.parked, 'parked', 'parked ' + parked + 's');
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
  var r = h.requests;
  var callerFaults = r.callerFaults;
  c.total.textContent = count(r.total);
  c.errors.textContent = count(r.failed + r.rejected - callerFaults);
  c.callerFaults.textContent = count(callerFaults);
  c.cost.textContent = h.cost ? usd(h.cost.usd) : '\\u2014';
  // Without a price table there is no cost to chart: a line at 0 would say "free".
  c.charts.cost.box.hidden = !h.cost;
  c.parkedUntil = h.parkedUntil !== null && h.parkedUntil > now ? h.parkedUntil : null;
  var le = h.lastError, lc = h.lastCause;
  var key = JSON.stringify([le, lc]);
  if (key !== c.errorKey) {
    c.errorKey = key;
    c.stamps = [];
    renderLast(c, c.cause, 'cause', lc, 'cause', '');
    c.cause.hidden = !lc;
    // The last error gets a line of its own only when it is not the cause itself: a rejection
    // since (FUSE_OPEN), or the caller's own fault, which is not the provider's.
    var same = le && lc && le.code === lc.code && le.at === lc.at;
    renderLast(c, c.error, 'last error', le, le && le.callerFault ? 'caller' : 'rejection', 'no errors');
    c.error.hidden = Boolean(same);
  }
  var bad = h.status === 'failed' || h.fuse.state === 'open';
  var warn = h.status !== 'running' || h.fuse.state !== 'closed' || c.parkedUntil !== null;
  c.root.setAttribute('data-level', bad ? 'bad' : warn ? 'warn' : 'ok');
}
`;
