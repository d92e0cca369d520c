/**
 * The live dashboard page: the report's styles, uPlot and chart script (inlined: it works offline),
 * headline cards, and a script that redraws both from `/events` (Server-Sent Events) once a second.
 * Read-only: the page cannot change the run. Pure (string in, string out).
 */
import { chartFigures, inlineScript, scriptJson, STYLE } from "../report/html.ts";
import { escapeHtml } from "../util/html.ts";
import { CLIENT_JS } from "../report/client.ts";
import type { ChartSpec } from "../report/charts.ts";
import { UPLOT_CSS, UPLOT_JS } from "../report/uplot_asset.ts";

/** The chart hosts, before the first second arrives (the data comes from /events). */
const FIGURES: ChartSpec[] = [
  { id: "rate", title: "Request rate", note: "Target vs observed requests per minute, per second." },
  {
    id: "latency",
    title: "Latency",
    note: "From the intended start, per second: p50–p95 shaded, p99 line, max dots.",
    logToggle: true,
  },
  {
    id: "errors",
    title: "Errors by class",
    note: "Failed requests per minute, per second, stacked by class.",
  },
].map((f) => ({ ...f, unit: "", x: [], series: [], format: "int" as const }));

const CARDS: [string, string][] = [
  ["elapsed", "Elapsed"],
  ["total", "Requests (measured)"],
  ["rate", "Rate, last second"],
  ["latency", "p50 / p95, last second"],
  ["tail", "p99 / max, last second"],
  ["errors", "Failures (measured)"],
  ["inflight", "In flight"],
];

/** Runs in the page: one EventSource, each message redraws the cards and the charts. */
const DASHBOARD_JS = String.raw`
(function () {
  "use strict";
  var updates = 0;
  function set(id, text) { var el = document.getElementById("live-" + id); if (el) el.textContent = text; }
  function ms(v) { return v >= 10000 ? (v / 1000).toFixed(1) + " s" : v >= 100 ? v.toFixed(0) + " ms" : v.toFixed(1) + " ms"; }
  var source = new EventSource("events");
  source.onmessage = function (message) {
    var d = JSON.parse(message.data);
    var s = d.status;
    set("elapsed", (s.warmup ? "warm-up " : "") + s.t_sec.toFixed(0) + " s" + (s.finished ? " (finished)" : ""));
    set("total", String(s.total));
    set("rate", s.rate_rpm.toFixed(0) + " / " + s.target_rpm.toFixed(0) + " rpm");
    set("latency", ms(s.p50) + " / " + ms(s.p95));
    set("tail", ms(s.p99) + " / " + ms(s.max));
    set("errors", s.failures + (s.total ? " (" + (100 * s.failures / s.total).toFixed(2) + "%)" : ""));
    set("inflight", String(s.in_flight));
    if (d.charts.charts.length) window.moodleLoadCharts.update(d.charts);
    updates++;
    document.documentElement.setAttribute("data-updates", String(updates));
    if (s.finished) { source.close(); document.getElementById("live-state").textContent = "finished"; }
  };
  source.onerror = function () { document.getElementById("live-state").textContent = "disconnected"; };
})();
`;

export function dashboardPage(baseUrl: string): string {
  const empty = { charts: [], range: [0, 1], warmupEnd: null, loadStart: 0 };
  const cards = CARDS.map(([id, label]) =>
    `<div class="card"><div class="label">${
      escapeHtml(label)
    }</div><div class="value" id="live-${id}">–</div></div>`
  ).join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>moodle-load live — ${escapeHtml(baseUrl)}</title>
<style>${UPLOT_CSS}</style>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Live load on ${escapeHtml(baseUrl)}</h1>
<div class="sub">moodle-load dashboard · <b id="live-state">running</b> · updated once a second · metrics at <a style="color:#fff" href="metrics">/metrics</a></div>
</header>
<main>
<section class="cards">${cards}</section>
<section class="charts">${chartFigures(FIGURES)}</section>
</main>
<script type="application/json" id="report-data">${scriptJson(empty)}</script>
<script>${inlineScript(UPLOT_JS)}</script>
<script>${inlineScript(CLIENT_JS)}</script>
<script>${inlineScript(DASHBOARD_JS)}</script>
</body>
</html>
`;
}
