/**
 * @module The dashboard's script (served as /dashboard/app.js): the live
 * total over /live, and /analytics for the chosen timeframe every 5 s,
 * drawn with uPlot. Texts from the records (pages, referrers) are only ever
 * set as text, never as HTML. The admin token, when the service asks for
 * one, is kept in sessionStorage: this tab only.
 */
export const DASHBOARD_SCRIPT = `/* traffic-tracker dashboard */
(function () {
  "use strict";
  var REFRESH_MS = 5000, TOKEN_KEY = "traffic-tracker-admin-token";
  var $ = function (id) { return document.getElementById(id); };
  var hours = 1, timer = 0, chart = null, inFlight = false, lastBody = null;
  var fmt = new Intl.NumberFormat();

  function token() { try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; } }
  function headers() { var t = token(); return t ? { Authorization: "Bearer " + t } : {}; }
  function status(text) { $("status").textContent = text; }
  function setNumber(el, n) { el.textContent = fmt.format(n); el.setAttribute("data-count", String(n)); }

  function askToken(refused) {
    $("token-form").hidden = false;
    $("main").hidden = true;
    $("token-error").hidden = !refused;
    $("token").focus();
  }
  $("token-form").addEventListener("submit", function (e) {
    e.preventDefault();
    try { sessionStorage.setItem(TOKEN_KEY, $("token").value.trim()); } catch (err) {}
    $("token").value = "";
    $("token-form").hidden = true;
    $("main").hidden = false;
    refresh();
  });

  function fillTable(table, rows, cells) {
    var body = table.tBodies[0];
    while (body.firstChild) body.removeChild(body.firstChild);
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      cells(row).forEach(function (value, i) {
        var td = document.createElement("td");
        td.textContent = i === 0 ? value : fmt.format(value);
        if (i === 0) td.title = value;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    if (rows.length === 0) {
      var tr = document.createElement("tr"), td = document.createElement("td");
      td.colSpan = table.tHead.rows[0].cells.length;
      td.textContent = "none in this window";
      tr.appendChild(td);
      body.appendChild(tr);
    }
  }

  function chartSize() {
    var box = $("chart");
    return { width: Math.max(240, box.clientWidth), height: window.innerWidth < 640 ? 200 : 260 };
  }

  function draw(body) {
    var xs = [], ys = [], total = 0;
    body.series.points.forEach(function (p) { xs.push(Date.parse(p[0]) / 1000); ys.push(p[1]); total += p[1]; });
    $("chart").setAttribute("data-total", String(total));
    $("chart").setAttribute("data-points", String(xs.length));
    var step = body.series.step_seconds;
    var label = step >= 3600 ? step / 3600 + " h" : step / 60 + " min";
    if (chart && chart.__step === step) { chart.setData([xs, ys]); return; }
    if (chart) chart.destroy();
    var size = chartSize();
    chart = new uPlot({
      width: size.width, height: size.height,
      // Each bar spans its step: it starts at the step's time, and the x range ends one step after the last.
      scales: { x: { time: true, range: function (u, min, max) { return [min, max + step]; } },
        y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      series: [{}, { label: "visits per " + label, stroke: "#2f6fec", fill: "rgba(47,111,236,0.35)", width: 1,
        paths: uPlot.paths.bars({ size: [0.9, 40], align: 1 }), points: { show: false } }],
      axes: [{}, { size: 60 }],
      legend: { live: true },
    }, [xs, ys], $("chart"));
    chart.__step = step;
  }

  function render(body) {
    lastBody = body;
    setNumber($("visits"), body.visits);
    setNumber($("unique"), body.unique_visitors);
    setNumber($("direct"), body.direct_visits);
    $("window").textContent = body.from.replace("T", " ").replace("Z", "") + " – " +
      body.to.replace("T", " ").replace("Z", "") + " UTC";
    fillTable($("pages"), body.top_pages, function (p) { return [p.page_url, p.visits, p.unique_visitors]; });
    fillTable($("referrers"), body.top_referrers, function (r) { return [r.referrer, r.visits]; });
    draw(body);
  }

  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(refresh, REFRESH_MS);
    if (inFlight || !$("token-form").hidden) return;
    inFlight = true;
    fetch("/analytics?timeframe_hours=" + hours + "&limit=10", { headers: headers(), cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) { askToken(token() !== ""); return null; }
        if (!r.ok) { status("analytics: HTTP " + r.status + ", retrying"); return null; }
        return r.json();
      })
      .then(function (body) {
        if (!body) return;
        render(body);
        status("updated " + new Date().toLocaleTimeString());
      })
      .catch(function () { status("analytics unreachable, retrying"); })
      .then(function () { inFlight = false; });
  }

  function choose(h) {
    if (!(h >= 0.1 && h <= 168)) return;
    hours = h;
    $("hours").value = String(h);
    Array.prototype.forEach.call(document.querySelectorAll("#timeframes button"), function (b) {
      b.setAttribute("aria-pressed", String(Number(b.getAttribute("data-hours")) === h));
    });
    refresh();
  }
  $("timeframes").addEventListener("click", function (e) {
    var h = e.target && e.target.getAttribute && e.target.getAttribute("data-hours");
    if (h) choose(Number(h));
  });
  $("hours").addEventListener("change", function () { choose(Math.round(Number($("hours").value) * 10) / 10); });

  document.querySelector(".exports").addEventListener("click", function (e) {
    var format = e.target && e.target.getAttribute && e.target.getAttribute("data-format");
    if (!format) return;
    status("exporting " + format + "…");
    fetch("/export?format=" + format, { headers: headers() })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        var name = /filename="([^"]+)"/.exec(r.headers.get("content-disposition") || "");
        return r.blob().then(function (b) { return { blob: b, name: name ? name[1] : "visits." + format }; });
      })
      .then(function (file) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(file.blob);
        a.download = file.name;
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
        status("exported " + file.name);
      })
      .catch(function (err) { status("export failed: " + err.message); });
  });

  var delay = 1000;
  function live() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/live");
    ws.onopen = function () { delay = 1000; $("live-state").className = "dot on"; };
    ws.onmessage = function (e) {
      try {
        var m = JSON.parse(e.data);
        if (m.type !== "count") return;
        setNumber($("total"), m.total_visits);
        $("recent").textContent = fmt.format(m.recent_visits);
      } catch (err) {}
    };
    ws.onclose = function () {
      $("live-state").className = "dot";
      setTimeout(live, delay);
      delay = Math.min(30000, delay * 2);
    };
  }

  window.addEventListener("resize", function () { if (chart) chart.setSize(chartSize()); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  live();
  refresh();
})();
`;
