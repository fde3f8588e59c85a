/**
 * @module /widget.js, the embeddable live counter, and /widget, a demo page.
 *
 *   <span id="count"></span>
 *   <script src="https://tracker.example/widget.js" data-target="#count"></script>
 *
 * Options (data- attributes on the script tag): data-target (CSS selector,
 * default "#traffic-tracker-count"), data-field ("total_visits", the default,
 * or "recent_visits": the last hour). It connects to /live on the host it was
 * loaded from, animates the number to each new value, reconnects with
 * exponential backoff (1 s doubling to 30 s, with jitter), and polls /stats
 * every 5 s while WebSockets fail (blocked by a proxy or unsupported). No
 * dependencies; ES5 syntax so old browsers run it.
 */
import type { StaticAsset } from "../http/docs.js";

export const WIDGET_JS = `/* traffic-tracker live counter widget */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var target = document.querySelector(script.getAttribute("data-target") || "#traffic-tracker-count");
  if (!target) return;
  var field = script.getAttribute("data-field") === "recent_visits" ? "recent_visits" : "total_visits";
  var base = new URL(script.src, location.href);
  var liveUrl = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/live";
  var shown = null, goal = 0, from = 0, started = 0, frame = 0;
  var DURATION_MS = 600, POLL_MS = 5000, MAX_DELAY_MS = 30000;
  var delay = 1000, failures = 0, poller = 0;

  function render(n) {
    target.textContent = Math.round(n).toLocaleString();
    target.setAttribute("data-count", String(Math.round(n)));
  }
  function tick(now) {
    var t = Math.min(1, (now - started) / DURATION_MS);
    var eased = 1 - Math.pow(1 - t, 3);
    render(from + (goal - from) * eased);
    frame = t < 1 ? requestAnimationFrame(tick) : 0;
  }
  function show(n) {
    if (typeof n !== "number" || n === goal && shown !== null) return;
    if (shown === null || document.hidden) { shown = goal = n; render(n); return; }
    from = shown; goal = n; started = performance.now(); shown = n;
    if (!frame) frame = requestAnimationFrame(tick);
  }
  function poll() {
    fetch(base.origin + "/stats", { mode: "cors" })
      .then(function (r) { return r.json(); })
      .then(function (s) { show(s[field]); })
      .catch(function () {});
  }
  function startPolling() { if (!poller) { poll(); poller = setInterval(poll, POLL_MS); } }
  function stopPolling() { if (poller) { clearInterval(poller); poller = 0; } }
  function connect() {
    var ws;
    try { ws = new WebSocket(liveUrl); } catch (e) { startPolling(); return; }
    var opened = false;
    ws.onopen = function () { opened = true; failures = 0; delay = 1000; stopPolling(); };
    ws.onmessage = function (e) {
      try { show(JSON.parse(e.data)[field]); } catch (err) {}
    };
    ws.onclose = function () {
      if (!opened && ++failures >= 2) startPolling();
      var wait = delay / 2 + Math.random() * delay / 2;
      delay = Math.min(delay * 2, MAX_DELAY_MS);
      setTimeout(connect, wait);
    };
  }
  if (typeof WebSocket === "function") connect(); else startPolling();
})();
`;

export const WIDGET_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>traffic-tracker — live counter</title>
<style>
  body { font-family: system-ui, sans-serif; display: grid; place-items: center; min-height: 90vh; margin: 0; background: #fff7ed; }
  .card { text-align: center; padding: 2rem 3rem; border-radius: 1rem; background: white; box-shadow: 0 4px 24px #0002; }
  #count { font-size: 4rem; font-weight: 700; color: #c2410c; font-variant-numeric: tabular-nums; }
  #recent { font-weight: 600; }
</style></head>
<body><div class="card">
  <div id="count">…</div>
  <div>shoppers have joined the sale — <span id="recent">…</span> in the last hour</div>
</div>
<script src="/widget.js" data-target="#count"></script>
<script src="/widget.js" data-target="#recent" data-field="recent_visits"></script>
</body></html>
`;

export function widgetAssets(): ReadonlyMap<string, StaticAsset> {
  return new Map<string, StaticAsset>([
    ["/widget.js", { contentType: "application/javascript; charset=utf-8", load: () => WIDGET_JS }],
    ["/widget", { contentType: "text/html; charset=utf-8", load: () => WIDGET_HTML }],
  ]);
}
