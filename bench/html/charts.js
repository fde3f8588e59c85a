/**
 * The bench report's charts, drawn with uPlot (inlined before this script)
 * from the chart data the bench embedded in #bench-data. Every chart and its
 * uPlot instance are listed in window.benchCharts (the browser test reads them).
 */
(() => {
  const { charts } = JSON.parse(document.getElementById("bench-data").textContent);
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"];
  const headings = {
    timeline: "Per second, per scenario",
    sweep: "Scaling: req/s against the ideal linear line",
    redis: "Cluster mode: Redis per instance count",
    compare: "A/B comparison (--compare), interleaved rounds",
    cpu: "Server CPU per request",
    errors: "Errors",
  };
  const root = document.getElementById("charts");
  const number = (v) => (v == null ? "–" : v.toLocaleString("en-US", { maximumFractionDigits: 2 }));
  const fromZero = (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1];
  const color = (i) => palette[i % palette.length];
  const dashes = { dashed: [8, 4], dotted: [2, 3] };

  /** Vertical marks with their label (the spike's opening). */
  const markerPlugin = (markers) => ({
    hooks: {
      draw: (u) => {
        const ctx = u.ctx;
        for (const m of markers) {
          const x = Math.round(u.valToPos(m.x, "x", true));
          ctx.save();
          ctx.strokeStyle = "#d62728";
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.fillStyle = "#d62728";
          ctx.font = `${12 * devicePixelRatio}px sans-serif`;
          ctx.fillText(m.label, x + 6 * devicePixelRatio, u.bbox.top + 14 * devicePixelRatio);
          ctx.restore();
        }
      },
    },
  });

  function options(spec, width) {
    const categories = spec.categories;
    const markers = spec.markers ?? [];
    const xRange = categories
      ? () => [0.5, categories.length + 0.5]
      : (_u, min, max) => [Math.min(min, ...markers.map((m) => m.x - 0.25)), max === min ? max + 1 : max];
    const axes = [
      {
        label: spec.xLabel,
        ...(categories
          ? {
              splits: () => categories.map((_, i) => i + 1),
              values: (_u, splits) => splits.map((v) => categories[v - 1] ?? ""),
              rotate: categories.some((c) => c.length > 14) ? -20 : 0,
              size: categories.some((c) => c.length > 14) ? 90 : 50,
            }
          : spec.kind === "sweep" || spec.kind === "redis"
            ? { splits: () => spec.xs }
            : { incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600] }),
      },
      { label: spec.yLabel, scale: "y", values: (_u, splits) => splits.map(number), size: 70 },
    ];
    const scales = { x: { time: false, range: xRange }, y: { range: fromZero } };
    if (spec.y2Label) {
      axes.push({ label: spec.y2Label, scale: "y2", side: 1, grid: { show: false }, size: 60 });
      scales.y2 = { range: fromZero };
    }
    const series = [
      { label: spec.xLabel, value: (_u, v) => (categories ? (categories[Math.round(v) - 1] ?? "") : number(v)) },
      ...spec.series.map((s) => ({
        label: s.label,
        show: !s.hidden,
        scale: s.axis,
        stroke: color(s.color),
        width: s.style === "bars" ? 1 : 2,
        value: (_u, v) => number(v),
        ...(s.style === "bars"
          ? { fill: `${color(s.color)}bb`, paths: uPlot.paths.bars({ size: [0.9, 90] }), points: { show: false } }
          : { dash: dashes[s.style], points: { show: true, size: 5 } }),
      })),
    ];
    return {
      width,
      height: 320,
      scales,
      axes,
      series,
      legend: { live: true },
      plugins: markers.length > 0 ? [markerPlugin(markers)] : [],
    };
  }

  window.benchCharts = [];
  let kind;
  for (const spec of charts) {
    if (spec.kind !== kind) {
      kind = spec.kind;
      const h = document.createElement("h2");
      h.textContent = headings[kind] ?? kind;
      root.append(h);
    }
    const figure = document.createElement("figure");
    figure.className = "chart";
    figure.dataset.chart = spec.kind;
    if (spec.scenario) figure.dataset.scenario = spec.scenario;
    const caption = document.createElement("figcaption");
    caption.textContent = spec.title;
    if (spec.note) {
      const note = document.createElement("span");
      note.className = "note";
      note.textContent = spec.note;
      caption.append(note);
    }
    figure.append(caption);
    root.append(figure);
    const width = Math.max(480, Math.min(1100, root.clientWidth - 16));
    const plot = new uPlot(options(spec, width), [spec.xs, ...spec.series.map((s) => s.values)], figure);
    window.benchCharts.push({ spec, plot, element: figure });
  }
  document.body.dataset.charts = String(window.benchCharts.length);
})();
