/**
 * @module The dashboard's HTML and styles: no inline script (the page's
 * Content-Security-Policy allows scripts from the service only), one column
 * on a phone, a grid on a laptop.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>traffic-tracker — dashboard</title>
<link rel="stylesheet" href="/dashboard/uplot.min.css">
<link rel="stylesheet" href="/dashboard/app.css">
</head>
<body>
<header>
  <h1>traffic-tracker</h1>
  <div class="live"><span id="live-state" class="dot" title="live connection"></span>
    <span class="label">total visits</span> <strong id="total" data-count="">–</strong>
    <span class="label">last hour</span> <span id="recent">–</span></div>
</header>
<form id="token-form" hidden>
  <label for="token">This service needs its admin token</label>
  <input id="token" type="password" autocomplete="off" placeholder="admin token">
  <button type="submit">Open</button>
  <p class="hint">Kept in this tab only (sessionStorage).</p>
  <p id="token-error" class="error" hidden>That token was refused.</p>
</form>
<main id="main">
  <nav id="timeframes" aria-label="timeframe">
    <button type="button" data-hours="0.1">6 min</button>
    <button type="button" data-hours="1" aria-pressed="true">1 h</button>
    <button type="button" data-hours="24">24 h</button>
    <button type="button" data-hours="168">7 days</button>
    <label class="custom">hours <input id="hours" type="number" min="0.1" max="168" step="0.1" value="1"></label>
  </nav>
  <section class="cards">
    <div class="card"><span class="label">visits</span><strong id="visits">–</strong></div>
    <div class="card"><span class="label">unique visitors</span><strong id="unique">–</strong></div>
    <div class="card"><span class="label">direct visits</span><strong id="direct">–</strong></div>
  </section>
  <section class="chart-box">
    <h2>Visits over time <small id="window"></small></h2>
    <div id="chart" data-total=""></div>
  </section>
  <section class="tables">
    <div><h2>Top pages</h2>
      <table id="pages"><thead><tr><th>page</th><th>visits</th><th>unique</th></tr></thead><tbody></tbody></table></div>
    <div><h2>Top referrers</h2>
      <table id="referrers"><thead><tr><th>referrer</th><th>visits</th></tr></thead><tbody></tbody></table></div>
  </section>
  <footer>
    <span id="status" role="status"></span>
    <span class="exports">Export: <button type="button" data-format="csv">CSV</button>
      <button type="button" data-format="parquet">Parquet</button>
      <button type="button" data-format="ndjson">NDJSON</button></span>
  </footer>
</main>
<script src="/dashboard/uplot.min.js"></script>
<script src="/dashboard/app.js"></script>
</body>
</html>
`;

export const DASHBOARD_CSS = `:root { color-scheme: light dark; --fg: #1d2330; --muted: #667085; --bg: #f6f7f9; --card: #fff;
  --line: #e4e7ec; --accent: #2f6fec; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #98a2b3; --bg: #12151c; --card: #1b2029;
  --line: #2c3340; --accent: #6d9bff; } }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--bg); color: var(--fg); }
header { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: baseline; justify-content: space-between;
  padding: .75rem 1rem; background: var(--card); border-bottom: 1px solid var(--line); }
h1 { font-size: 1.1rem; margin: 0; }
h2 { font-size: 1rem; margin: 0 0 .5rem; }
h2 small { color: var(--muted); font-weight: normal; }
.label { color: var(--muted); font-size: .85rem; }
.live strong { font-size: 1.5rem; font-variant-numeric: tabular-nums; margin-right: 1rem; }
.dot { display: inline-block; width: .6rem; height: .6rem; border-radius: 50%; background: #d0d5dd; margin-right: .3rem; }
.dot.on { background: #12b76a; }
main, #token-form { max-width: 72rem; margin: 0 auto; padding: 1rem; }
#token-form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
#token-form label { width: 100%; font-weight: 600; }
.hint { color: var(--muted); font-size: .85rem; width: 100%; margin: 0; }
.error { color: #d92d20; width: 100%; margin: 0; }
nav { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; margin-bottom: 1rem; }
button, input { font: inherit; color: inherit; background: var(--card); border: 1px solid var(--line);
  border-radius: .4rem; padding: .35rem .7rem; }
button { cursor: pointer; }
button[aria-pressed="true"] { background: var(--accent); border-color: var(--accent); color: #fff; }
.custom input { width: 5.5rem; }
.cards { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: .75rem; margin-bottom: 1rem; }
.card, .chart-box, .tables > div { background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: .75rem 1rem; }
.card strong { display: block; font-size: 1.6rem; font-variant-numeric: tabular-nums; }
.chart-box { margin-bottom: 1rem; }
#chart { min-height: 240px; }
.tables { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: .75rem; }
table { width: 100%; border-collapse: collapse; font-size: .9rem; table-layout: fixed; }
th, td { text-align: left; padding: .3rem .25rem; border-bottom: 1px solid var(--line); }
th:not(:first-child), td:not(:first-child) { text-align: right; width: 5rem; font-variant-numeric: tabular-nums; }
td:first-child { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
footer { display: flex; flex-wrap: wrap; justify-content: space-between; gap: .5rem; margin-top: 1rem; color: var(--muted); font-size: .85rem; }
.u-legend { font-size: .8rem; }
@media (max-width: 640px) {
  .cards { grid-template-columns: 1fr 1fr; }
  .cards .card:last-child { grid-column: span 2; }
  .tables { grid-template-columns: 1fr; }
  .card strong { font-size: 1.3rem; }
  #chart { min-height: 200px; }
}
`;
