/**
 * The dashboard's group cards, as part of the page script, read from a group's health
 * (`GroupHealth`): its strategy, each member with its status, fuse, whether the group would send
 * it a request now and its load, the group's calls, failovers, hedges, resumed streams, latency
 * and last error, what its members have cost, and a chart of its calls and failovers. Every string from the server reaches the page
 * through `textContent` or an attribute setter. Written without template literals so that it can
 * sit inside this module's template string.
 */

/**
 * The group cards' part of the page script; it uses `el`, `metric`, `setState`, `ms`, `count`,
 * `usd` and `renderLast` from the client cards' part, `chartBox` and `GROUP_CHARTS` from the
 * charts'.
 */
export const GROUP_SCRIPT = `
function createGroupCard(name) {
  var c = { name: name, kind: 'group', stamps: [], charts: {} };
  c.root = el('article', 'card group', 'card-' + name);
  var title = el('h2', '', 'name'); title.textContent = name;
  var badges = el('div', 'badges');
  var kind = el('span', 'badge', 'kind'); kind.textContent = 'group';
  c.strategy = el('span', 'strategy', 'strategy');
  badges.append(kind, c.strategy);
  c.members = el('ul', 'members', 'members');
  var dl = el('dl');
  c.total = metric(dl, 'requests', 'total');
  c.errors = metric(dl, 'errors', 'errors');
  c.p50 = metric(dl, 'p50', 'p50');
  c.p99 = metric(dl, 'p99', 'p99');
  c.failovers = metric(dl, 'failovers', 'failovers');
  c.hedges = metric(dl, 'hedges', 'hedges');
  c.resumed = metric(dl, 'resumed', 'resumed-streams');
  c.resumed.title = 'streams cut mid-answer and completed by another member';
  c.cost = metric(dl, 'cost', 'cost');
  c.error = el('div', 'error', 'last-error');
  var errors = el('div', 'errors');
  errors.append(c.error);
  var charts = el('div', 'charts');
  GROUP_CHARTS.forEach(function (spec) { charts.append(chartBox(c, spec)); });
  c.root.append(title, badges, c.members, dl, charts, errors);
  return c;
}

/** One member's line: its name and weight, status, fuse, whether it is ready, its load. */
function memberLine(m) {
  var li = el('li', '', 'member-' + m.client);
  var who = el('span', 'who'); who.textContent = m.client;
  if (m.weight !== 1) {
    var w = el('span', 'muted'); w.textContent = ' \\u00d7' + m.weight; who.append(w);
  }
  var s = el('span', 'badge', 'member-status'); setState(s, m.status, m.status);
  var f = el('span', 'badge', 'member-fuse'); setState(f, m.fuse, 'fuse ' + m.fuse.replace('_', '-'));
  var r = el('span', 'badge', 'member-ready');
  setState(r, m.ready ? 'ready' : 'skipped', m.ready ? 'ready' : 'skipped');
  r.title = m.ready ? 'the group would send it a request now'
    : 'the group passes it by: stopped, failed, its fuse open or it is parked';
  var load = el('span', 'load muted', 'member-load');
  load.textContent = m.inFlight + ' in flight' + (m.queued ? ', ' + m.queued + ' queued' : '');
  li.append(who, s, f, r, load);
  return li;
}

function renderGroup(c, h) {
  c.strategy.textContent = h.strategy;
  c.members.replaceChildren.apply(c.members, h.members.map(memberLine));
  var ready = h.members.filter(function (m) { return m.ready; }).length;
  c.total.textContent = count(h.requests.total);
  c.errors.textContent = count(h.requests.failed);
  c.failovers.textContent = count(h.failovers);
  c.hedges.textContent = count(h.hedges);
  c.resumed.textContent = count(h.resumedStreams);
  c.p50.textContent = ms(h.latencyMs.p50);
  c.p99.textContent = ms(h.latencyMs.p99);
  c.cost.textContent = h.cost ? usd(h.cost.usd) : '\\u2014';
  c.cost.title = 'USD paid upstream by this group\u2019s calls (members with pricing)';
  var key = JSON.stringify(h.lastError);
  if (key !== c.errorKey) {
    c.errorKey = key;
    c.stamps = [];
    renderLast(c, c.error, 'last error', h.lastError, 'rejection', 'no errors');
  }
  c.root.setAttribute('data-level', ready === 0 ? 'bad' : ready < h.members.length ? 'warn' : 'ok');
}
`;
