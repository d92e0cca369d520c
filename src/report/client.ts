/**
 * The report page's script (plain ES5-style JS run by the browser after uPlot): draws every chart
 * from the embedded JSON on one synced, shared time axis, shades the warm-up, marks each chart
 * `data-drawn` once painted (the Chromium test checks it), and follows the window's width.
 */
export const CLIENT_JS = String.raw`
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  // (replaced by window.moodleLoadCharts.update on the live dashboard)
  var HEIGHT = 270;
  var plots = [];
  var syncing = false;

  // Zoom one chart (drag) and every chart follows; double-click resets them all.
  function syncZoom(u, key) {
    if (key !== "x") return;
    // The visible range, for tests and for anyone reading the DOM.
    u.root.parentNode.setAttribute("data-x-range", u.scales.x.min + "," + u.scales.x.max);
    if (syncing) return;
    syncing = true;
    plots.forEach(function (p) {
      if (p.plot !== u && p.chart.xKind !== "nines" && p.chart.xKind !== "category") {
        p.plot.setScale("x", { min: u.scales.x.min, max: u.scales.x.max });
      }
    });
    syncing = false;
  }

  // [value, unit] in binary units (KiB, MiB …), as docker stats shows memory.
  function binaryScale(v) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return [v, units[i], i];
  }

  function fmt(kind, v) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    if (kind === "ms") return v >= 10000 ? (v / 1000).toFixed(1) + " s" : v >= 100 ? v.toFixed(0) + " ms" : v.toFixed(1) + " ms";
    if (kind === "pct") return v.toFixed(1) + "%";
    if (kind === "bytes") {
      var b = binaryScale(v);
      return b[0].toFixed(b[2] === 0 ? 0 : b[0] < 10 ? 2 : 1) + " " + b[1];
    }
    if (kind === "int") return String(Math.round(v));
    return v >= 100 ? v.toFixed(0) : v.toFixed(1);
  }

  function axisFmt(kind) {
    return function (u, splits) {
      return splits.map(function (v) {
        if (v === null) return "";
        if (kind === "bytes") {
          var b = binaryScale(v);
          return parseFloat(b[0].toFixed(2)) + " " + b[1];
        }
        if (kind === "ms") return v >= 10000 ? (v / 1000) + " s" : String(v);
        if (kind === "pct") return v + "%";
        return String(v);
      });
    };
  }

  // Axis steps for bytes: 1, 2, 5, 10 … 500 of B, KiB, MiB, GiB (ticks at 200 MiB, not 209.7 MB).
  var BYTE_INCRS = [];
  [1, 1024, 1048576, 1073741824, 1099511627776].forEach(function (unit) {
    [1, 2, 5, 10, 20, 50, 100, 200, 500].forEach(function (m) { BYTE_INCRS.push(m * unit); });
  });

  // Whole seconds at least: the labels show hh:mm:ss (a short run would otherwise repeat them).
  var TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function clock(u, splits) {
    return splits.map(function (ts) {
      if (ts === null) return "";
      var d = new Date(ts * 1000);
      return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
    });
  }

  function shadeWarmup(u) {
    if (data.warmupEnd === undefined || data.warmupEnd === null) return;
    var x0 = Math.max(u.bbox.left, u.valToPos(data.loadStart, "x", true));
    var x1 = Math.min(u.bbox.left + u.bbox.width, u.valToPos(data.warmupEnd, "x", true));
    if (!(x1 > x0)) return;
    var ctx = u.ctx, dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.fillStyle = "rgba(148, 163, 184, 0.16)";
    ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
    ctx.fillStyle = "#64748b";
    ctx.font = (11 * dpr) + "px system-ui, sans-serif";
    ctx.fillText("warm-up", x0 + 8 * dpr, u.bbox.top + 14 * dpr);
    ctx.restore();
  }

  function markLoadStart(u) {
    var x = u.valToPos(data.loadStart, "x", true);
    if (!(x > u.bbox.left && x < u.bbox.left + u.bbox.width)) return;
    var ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = "rgba(100, 116, 139, 0.6)";
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
  }

  // x axis of the distribution chart: "nines" → percentile (0 → 0%, 1 → 90%, 2 → 99% …).
  function ninesLabel(n) {
    var p = 100 * (1 - Math.pow(10, -n));
    return p.toFixed(Math.max(0, Math.round(n) - 2)) + "%";
  }

  // x axis of A/B charts: seconds since the run's start as m:ss (h:mm:ss past an hour).
  function elapsedLabel(v) {
    var sign = v < 0 ? "-" : "", t = Math.round(Math.abs(v));
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
    return sign + (h ? h + ":" + pad(m) : String(m)) + ":" + pad(sec);
  }

  // Endpoint names under bars: long ones shortened (the legend names them in full).
  function shortName(name) { return name.length > 14 ? name.slice(0, 13) + "…" : name; }

  function seriesOf(chart, log) {
    var series = [chart.xKind === "nines"
      ? { label: "percentile", value: function (u, v) { return v === null ? "–" : ninesLabel(v); } }
      : chart.xKind === "elapsed"
      ? { label: "since start", value: function (u, v) { return v === null ? "–" : elapsedLabel(v); } }
      : chart.xKind === "category"
      ? { label: "endpoint", value: function (u, v) { return v === null ? "–" : chart.categories[Math.round(v)] || ""; } }
      : { value: "{YYYY}-{MM}-{DD} {HH}:{mm}:{ss} UTC" }];
    chart.series.forEach(function (s) {
      series.push({
        label: s.label,
        stroke: s.color,
        width: s.points ? 0 : s.width || 2,
        dash: s.dash || undefined,
        fill: s.fill || undefined,
        spanGaps: false,
        points: s.points ? { show: true, size: 5, width: 0, fill: s.color, stroke: s.color } : { show: false },
        paths: s.points ? function () { return null; } : chart.stacked ? uPlot.paths.bars({ size: [0.85, 60], align: -1 })
          : s.bar !== undefined ? uPlot.paths.bars({ size: [0.28, 48], align: s.bar }) : undefined,
        value: function (u, v, si, i) {
          var own = s.raw && i !== null && i !== undefined ? s.raw[i] : v;
          return fmt(chart.format, own);
        }
      });
    });
    return series;
  }

  // null = a gap (the line breaks); a series without a sample at a shared x gets undefined (spanned).
  // On a log axis a zero cannot be drawn: it becomes a gap.
  function valuesOf(chart, log) {
    return [chart.x].concat(chart.series.map(function (s) {
      var gap = {};
      (s.gaps || []).forEach(function (i) { gap[i] = true; });
      return s.values.map(function (v, i) {
        if (log && v !== null && v !== undefined && !(v > 0)) return null;
        return v === null && s.gaps && !gap[i] ? undefined : v;
      });
    }));
  }

  // The x axis and scale of each kind: clock time, nines, seconds since the start, endpoints.
  function xAxisOf(chart) {
    var base = { stroke: "#475569", grid: { stroke: "#eef2f7" }, ticks: { stroke: "#cbd5e1" } };
    if (chart.xKind === "nines") {
      return uPlot.assign(base, { label: "percentile", labelSize: 20, splits: function () { return [0, 1, 2, 3, 4, 5]; },
        values: function (u, splits) { return splits.map(ninesLabel); } });
    }
    if (chart.xKind === "elapsed") {
      return uPlot.assign(base, { label: "seconds since the run's start", labelSize: 20, space: 60, incrs: TIME_INCRS,
        values: function (u, splits) { return splits.map(function (v) { return v === null ? "" : elapsedLabel(v); }); } });
    }
    if (chart.xKind === "category") {
      return uPlot.assign(base, { size: 60, space: 10, grid: { show: false },
        splits: function () { return chart.categories.map(function (_, k) { return k; }); },
        values: function (u, splits) { return splits.map(function (k) { return shortName(chart.categories[k] || ""); }); } });
    }
    return uPlot.assign(base, { values: clock, space: 70, incrs: TIME_INCRS });
  }

  function xScaleOf(chart) {
    if (chart.xKind === "nines") return { time: false, min: 0, max: 5 };
    if (chart.xKind === "category") return { time: false, min: -0.5, max: chart.categories.length - 0.5 };
    return { time: chart.xKind !== "elapsed", min: data.range[0], max: data.range[1] };
  }

  function optionsOf(chart, host, log) {
    // Only time-like charts (clock or seconds since start) share the zoom, the warm-up and the cursor.
    var nines = chart.xKind === "nines" || chart.xKind === "category";
    var xAxis = xAxisOf(chart);
    var y = log
      ? { distr: 3, log: 10 }
      : { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } };
    return {
      width: Math.max(320, host.clientWidth),
      height: HEIGHT,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      cursor: nines ? { drag: { x: true, y: false } } : { sync: { key: "run" }, drag: { x: true, y: false } },
      scales: {
        x: xScaleOf(chart),
        y: y
      },
      bands: (chart.bands || []).map(function (b) { return { series: [b.upper + 1, b.lower + 1], fill: b.fill }; }),
      axes: [
        xAxis,
        { stroke: "#475569", label: chart.unit + (log ? " (log)" : ""), labelSize: 20, size: 70, values: axisFmt(chart.format),
          incrs: chart.format === "bytes" ? BYTE_INCRS : undefined,
          grid: { stroke: "#eef2f7" }, ticks: { stroke: "#cbd5e1" } }
      ],
      series: seriesOf(chart, log),
      legend: { live: true },
      hooks: {
        drawClear: nines ? [] : [shadeWarmup],
        setScale: nines ? [] : [syncZoom],
        draw: (nines ? [] : [markLoadStart]).concat([function () { host.setAttribute("data-drawn", "1"); }])
      }
    };
  }

  // One chart; drawn again (same data, other y scale) when its log toggle changes.
  function draw(chart, host, log) {
    host.removeAttribute("data-drawn");
    host.setAttribute("data-log", log ? "1" : "0");
    return new uPlot(optionsOf(chart, host, log), valuesOf(chart, log), host);
  }

  function add(chart) {
    var host = document.getElementById("chart-" + chart.id);
    if (!host) return;
    var toggle = document.querySelector("input[data-log-for='" + chart.id + "']");
    var log = Boolean(toggle && toggle.checked);
    var entry = { plot: draw(chart, host, log), host: host, chart: chart };
    plots.push(entry);
    if (toggle) {
      toggle.addEventListener("change", function () {
        entry.plot.destroy();
        entry.plot = draw(entry.chart, host, toggle.checked);
      });
    }
  }

  data.charts.forEach(add);

  // The live dashboard: new data for the same charts (same ids and series) each second.
  window.moodleLoadCharts = {
    update: function (next) {
      data = next;
      next.charts.forEach(function (chart) {
        var entry = plots.filter(function (p) { return p.chart.id === chart.id; })[0];
        if (!entry) return add(chart);
        var same = entry.chart.series.length === chart.series.length;
        entry.chart = chart;
        var log = entry.host.getAttribute("data-log") === "1";
        if (!same) {
          entry.plot.destroy();
          entry.plot = draw(chart, entry.host, log);
          return;
        }
        entry.plot.batch(function () {
          entry.plot.setData(valuesOf(chart, log));
          entry.plot.setScale("x", { min: next.range[0], max: next.range[1] });
        });
      });
    }
  };

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) clearTimeout(pending);
    pending = setTimeout(function () {
      plots.forEach(function (p) { p.plot.setSize({ width: Math.max(320, p.host.clientWidth), height: HEIGHT }); });
    }, 100);
  });
  document.documentElement.setAttribute("data-charts", String(plots.length));
})();
`;
