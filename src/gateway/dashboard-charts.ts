/**
 * The dashboard's charts: one uPlot chart per group card (calls answered and failed, and
 * failovers, per second) and four per client card (requests per second split into
 * hits, misses, errors and caller faults; p50/p99 latency of misses and of hits on a log scale;
 * tokens per second; USD per second, for a client with `pricing`), fed by polling `GET /dashboard/series` once a second. The series are kept
 * by the runtime (`runtime.series`), so an opened page shows the last five minutes at once.
 * Written without template literals so that it can sit inside this module's template string.
 */

/** The charts' part of the page script; it uses `el` and `cards` from the cards' part. */
export const CHARTS_SCRIPT = `
function color(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}
function line(label, varName, dash, dots) {
  var s = { label: label, stroke: color(varName), width: 1.5, spanGaps: false,
    points: dots ? { show: true, size: 3, fill: color(varName) } : { show: false } };
  if (dash) s.dash = [4, 3];
  return s;
}
// Latency is null in a second without requests of its kind: dots keep a lone second visible.
function dotted(label, varName, dash) { return line(label, varName, dash, true); }
/** The x axis counts back from now: -4m, -3m ... now. */
function ago0(u, splits) {
  return splits.map(function (s) {
    return s === 0 ? 'now' : s % 60 === 0 ? s / 60 + 'm' : s + 's';
  });
}
function decade(v) { return Math.round(Math.log10(v)); }
/** A log scale's grid at the powers of ten only. */
function decades(u, splits) {
  return splits.map(function (v) { return Math.abs(Math.log10(v) - decade(v)) < 1e-9 ? v : null; });
}
/** Labels at every other power of ten (0.01, 1, 100, 10k): a short chart has room for no more. */
function decadeLabels(u, splits) {
  return decades(u, splits).map(function (v) {
    if (v === null || decade(v) % 2 !== 0) return null;
    return v >= 1000 ? v / 1000 + 'k' : String(v);
  });
}
var CHARTS = [
  { key: 'requests', title: 'requests/s',
    series: function () { return [line('hits', '--ok'), line('misses', '--accent'),
      line('errors', '--bad'), line('caller faults', '--idle', true)]; },
    data: function (p) { return [p.hits, p.misses, p.errors, p.callerFaults]; } },
  { key: 'latency', title: 'latency, ms (log)', log: true,
    series: function () { return [dotted('miss p50', '--accent'), dotted('miss p99', '--accent', true),
      dotted('hit p50', '--ok'), dotted('hit p99', '--ok', true)]; },
    data: function (p) { return [p.missP50, p.missP99, p.hitP50, p.hitP99]; } },
  { key: 'tokens', title: 'tokens/s',
    series: function () { return [line('tokens', '--warn')]; },
    data: function (p) { return [p.tokens]; } },
  // Dollars a second are small numbers: the scale follows them down rather than sit at 0..1.
  { key: 'cost', title: 'cost, USD/s', small: true,
    series: function () { return [line('USD', '--bad')]; },
    data: function (p) { return [p.costUsd]; } },
];
/** A group card's chart: its calls answered and failed, and its failovers, per second. */
var GROUP_CHARTS = [
  { key: 'calls', title: 'calls/s',
    series: function () { return [line('answered', '--ok'), line('failed', '--bad'),
      line('failovers', '--warn', true)]; },
    data: function (p) { return [p.succeeded, p.failed, p.failovers]; } },
];
function sum(xs) { return xs.reduce(function (a, b) { return a + b; }, 0); }
/** A small amount in few characters: 0.0012 as 1.2m, 0.00004 as 40\u00b5. */
function smallValues(u, splits) {
  return splits.map(function (v) {
    if (v === 0) return '0';
    if (v >= 1) return String(+v.toPrecision(3));
    if (v >= 1e-3) return +(v * 1e3).toPrecision(3) + 'm';
    return +(v * 1e6).toPrecision(3) + '\u00b5';
  });
}

function chartBox(c, spec) {
  var box = el('div', 'chart', 'chart-' + spec.key);
  var h = el('h3'); h.textContent = spec.title;
  var note = el('span', '', 'chart-note-' + spec.key);
  h.append(' ', note);
  var plot = el('div', 'plot');
  box.append(h, plot);
  c.charts[spec.key] = { spec: spec, box: box, plot: plot, note: note, u: null };
  return box;
}

function makeChart(chart, data) {
  var log = chart.spec.log;
  var lines = { stroke: color('--line'), width: 1 };
  var axis = { stroke: color('--muted'), grid: lines, ticks: lines,
    font: '11px system-ui, sans-serif', size: 24 };
  var x = Object.assign({}, axis, { incrs: [30, 60, 120], values: ago0 });
  var y = Object.assign({}, axis, { size: 44 });
  if (chart.spec.small) y.values = smallValues;
  if (log) {
    y.filter = decades;
    y.values = decadeLabels;
    y.grid = Object.assign({ filter: decades }, lines);
    y.ticks = Object.assign({ filter: decades }, lines);
  }
  var opts = {
    width: Math.max(200, chart.plot.clientWidth), height: 110,
    legend: { live: false }, cursor: { show: false },
    scales: { x: { time: false }, y: log ? { distr: 3 } : { range: function (u, min, max) {
      return [0, chart.spec.small ? (max > 0 ? max * 1.1 : 1e-6) : Math.max(1, max)]; } } },
    axes: [x, y],
    series: [{}].concat(chart.spec.series()),
  };
  chart.u = new uPlot(opts, data, chart.plot);
}

function onSeries(body) {
  Object.keys(body.clients).forEach(function (name) {
    var c = cards.get(name);
    var p = body.clients[name];
    // A name that changed from client to group waits for its new card.
    if (!c || (p.kind === 'group') !== (c.kind === 'group')) return;
    Object.keys(c.charts).forEach(function (key) {
      var chart = c.charts[key];
      var columns = chart.spec.data(p);
      var n = columns[0].length;
      var xs = columns[0].map(function (_, i) { return i - n + 1; });
      var data = [xs].concat(columns);
      if (chart.spec.log) data = data.map(function (col, i) {
        return i === 0 ? col : col.map(function (v) { return v > 0 ? v : null; });
      });
      if (typeof uPlot === 'undefined' || chart.box.hidden) return;
      if (!chart.u) makeChart(chart, data); else chart.u.setData(data);
      fit(chart);
    });
    if (c.kind === 'group') {
      c.charts.calls.note.textContent = '\\u00b7 ' + sum(p.failovers) + ' failovers in the window';
      return;
    }
    c.charts.tokens.note.textContent = '\\u00b7 ' + sum(p.tokens) + ' in the window';
    c.charts.cost.note.textContent = '\\u00b7 ' + usd(sum(p.costUsd)) + ' in the window';
  });
}

function pollSeries() {
  fetch('/dashboard/series').then(function (res) { return res.ok ? res.json() : null; })
    .then(function (body) { if (body) onSeries(body); }, function () {});
}
/** Follows the card's width, which the grid settles only after the chart is first drawn. */
function fit(chart) {
  var width = Math.max(200, chart.plot.clientWidth);
  if (chart.u && Math.abs(chart.u.width - width) > 1) chart.u.setSize({ width: width, height: 110 });
}
window.addEventListener('resize', function () {
  cards.forEach(function (c) {
    Object.keys(c.charts).forEach(function (key) { fit(c.charts[key]); });
  });
});
setInterval(pollSeries, 1000);
`;
