/**
 * The dashboard's stylesheet: light and dark from the system's colour scheme, one grid of cards.
 */

/** The page's CSS, inlined in its head. */
export const DASHBOARD_STYLE = `
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
main { display: grid; gap: 16px; padding: 20px; align-items: start;
  grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--ok);
  border-radius: 10px; padding: 14px 16px; display: flex; flex-direction: column; gap: 10px; min-width: 0; }
.card[data-level="warn"] { border-left-color: var(--warn); }
.card[data-level="bad"] { border-left-color: var(--bad); }
.card h2 { margin: 0; font-size: 16px; overflow-wrap: anywhere; }
.model { color: var(--muted); font-size: 12.5px; overflow-wrap: anywhere; }
.badges { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.badge { border-radius: 999px; padding: 1px 9px; font-size: 12px; font-weight: 600;
  border: 1px solid currentColor; }
[data-state="running"], [data-state="closed"], [data-state="live"], [data-state="ok"],
[data-state="ready"] { color: var(--ok); }
[data-state="restarting"], [data-state="half_open"], [data-state="connecting"],
[data-state="reconnecting"], [data-state="pending"], [data-state="parked"],
[data-state="skipped"] { color: var(--warn); }
[data-state="failed"], [data-state="open"], [data-state="error"] { color: var(--bad); }
[data-state="stopped"] { color: var(--idle); }
.retry { font-size: 12px; color: var(--bad); font-variant-numeric: tabular-nums; }
dl { display: grid; grid-template-columns: repeat(4, 1fr); gap: 8px; margin: 0; }
dl div { min-width: 0; }
dt { color: var(--muted); font-size: 11.5px;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
dd { margin: 0; font-size: 15px; font-weight: 600; font-variant-numeric: tabular-nums; white-space: nowrap; }
.error { font-size: 12.5px; overflow-wrap: anywhere; }
.errors { border-top: 1px solid var(--line); padding-top: 8px; display: flex; flex-direction: column; gap: 4px; }
.error .label { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; margin-right: 6px; }
.error code { font-weight: 600; margin-right: 6px; }
.error[data-kind="cause"] code { color: var(--bad); }
.error[data-kind="rejection"] code { color: var(--warn); }
.error[data-kind="caller"] code, .error[data-kind="none"] { color: var(--muted); }
.tag { font-size: 11px; border: 1px solid var(--line); border-radius: 4px; padding: 0 5px; margin-right: 6px; color: var(--muted); }
.charts { display: flex; flex-direction: column; gap: 6px; }
.chart h3 { margin: 0; font-size: 11px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.chart h3 span { text-transform: none; letter-spacing: 0; font-weight: 500; }
.chart .plot { min-height: 120px; }
.uplot { width: 100%; }
.u-legend { font-size: 11px; color: var(--muted); }
.u-legend .u-marker { width: .8em; height: .8em; }
.u-series > * { padding: 1px 3px; }
.members { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
.members li { display: flex; gap: 8px; align-items: center; }
.members .who { flex: 1; font-weight: 600; overflow-wrap: anywhere; }
.members .load, .strategy { font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; }
.card.group { border-left-style: double; }
.actions { display: flex; gap: 10px; align-items: center; }
button { font: inherit; font-weight: 600; color: var(--accent); background: transparent;
  border: 1px solid var(--line); border-radius: 6px; padding: 4px 12px; cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .5; cursor: progress; }
.result { font-size: 12.5px; overflow-wrap: anywhere; }
.empty { grid-column: 1 / -1; text-align: center; color: var(--muted); padding: 40px; }
`;
