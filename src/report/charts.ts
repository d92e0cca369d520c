/**
 * The report's time-series charts as plain data (what the page hands to uPlot): built from the run
 * summary's time line (rows.ts; progress intervals for older summaries) and the capture CSVs, all on one time axis (epoch seconds). Pure.
 */
import type { RunSummary } from "../results/summary_types.ts";
import { type CaptureSeries, connectionColumns, connectionLabel } from "./capture.ts";
import { type ChartRow, type ChartRows, chartRows, timelineRows } from "./rows.ts";
import type { TimelinePoint } from "../results/summary_types.ts";
import type { ChartSeries, ChartSet, ChartSpec } from "./chart_types.ts";
export type { ChartSeries, ChartSet, ChartSpec };
import { distributionChart } from "./distribution.ts";
import { endpointLatencyChart } from "./endpoint_chart.ts";
import { endpointTimeCharts } from "./endpoint_time.ts";
import { concurrencyChart } from "./concurrency_chart.ts";

export const PALETTE = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#d97706",
  "#7c3aed",
  "#0891b2",
  "#db2777",
  "#65a30d",
  "#475569",
  "#ea580c",
];

const ERROR_COLORS: Record<string, string> = {
  timeout: "#d97706",
  connect: "#7c3aed",
  tls: "#0891b2",
  http_4xx: "#db2777",
  http_5xx: "#dc2626",
  session_lost: "#2563eb",
  unexpected_status: "#65a30d",
  other: "#475569",
  abandoned: "#9f1239",
};

/** The latency chart's percentiles and their colours (the same for latency and service time). */
const LATENCY_PERCENTILES = [["p50", "#16a34a"], ["p95", "#d97706"], ["p99", "#dc2626"]] as const;

/** When the run's load began (warm-up included), epoch seconds: the A/B report's time zero. */
export function intervalStartSec(summary: RunSummary): number {
  const first = summary.intervals[0];
  return first ? (first.epoch_ms - first.interval_sec * 1000) / 1000 : Date.parse(summary.started_at) / 1000;
}

/** `#rrggbb` at opacity `a`, as rgba(). */
export function alpha(color: string, a: number): string {
  const n = parseInt(color.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

/** The load charts, from the 1-second time line when the summary has one, else the progress intervals. */
function rowCharts({ rows, source, secondsPerRow }: ChartRows): ChartSpec[] {
  if (!rows.length) return [];
  const x = rows.map((r) => r.x);
  const per = source === "intervals"
    ? "per progress interval"
    : secondsPerRow === 1
    ? "per second"
    : `per ${secondsPerRow} s`;
  return [rateChart(rows, x, per), latencyChart(rows, x, per), errorsChart(rows, x, per)];
}

export const perMinute = (count: number, seconds: number) => (seconds > 0 ? (count / seconds) * 60 : 0);

function rateChart(rows: ChartRow[], x: number[], per: string): ChartSpec {
  return {
    id: "rate",
    title: "Request rate",
    note: `Target vs observed requests per minute, ${per}. A gap means the site or the concurrency cap ` +
      "could not keep up.",
    unit: "req/min",
    x,
    format: "rate",
    series: [
      {
        label: "Target",
        values: rows.map((r) => r.targetRpm),
        color: "#64748b",
        dash: [6, 4],
        width: 2,
      },
      {
        label: "Observed",
        values: rows.map((r) => perMinute(r.total, r.spanSec)),
        color: "#2563eb",
        fill: alpha("#2563eb", 0.12),
        width: 2,
      },
    ],
  };
}

/**
 * Latency over time as a percentile band: p50–p95 shaded, p99 a line, the max as dots (and service
 * time p95 dashed when the rows carry it). The page offers a log axis: a slow tail flattens the rest.
 */
function latencyChart(rows: ChartRow[], x: number[], per: string): ChartSpec {
  const valueOf = (r: ChartRow, value: number | undefined) => (r.total > 0 ? value ?? null : null);
  const withService = rows.some((r) => r.serviceP95 !== undefined);
  const [[, p50Color], [, p95Color], [, p99Color]] = LATENCY_PERCENTILES;
  return {
    id: "latency",
    title: "Latency",
    note: `From the intended start (what a user waits, queueing included), ${per}: p50–p95 shaded, p99 ` +
      `line, max dots.${withService ? " Dashed: service time p95 (from the actual send)." : ""}`,
    unit: "ms",
    x,
    format: "ms",
    logToggle: true,
    bands: [{ upper: 1, lower: 0, fill: alpha(p95Color, 0.18) }],
    series: [
      { label: "p50", values: rows.map((r) => valueOf(r, r.p50)), color: p50Color, width: 1.5 },
      { label: "p95", values: rows.map((r) => valueOf(r, r.p95)), color: p95Color, width: 1.5 },
      { label: "p99", values: rows.map((r) => valueOf(r, r.p99)), color: p99Color, width: 2 },
      { label: "max", values: rows.map((r) => valueOf(r, r.max)), color: "#7f1d1d", points: true },
      ...(withService
        ? [{
          label: "service p95",
          values: rows.map((r) => valueOf(r, r.serviceP95)),
          color: "#d97706",
          dash: [4, 4],
          width: 1.5,
        }]
        : []),
    ],
  };
}

function errorsChart(rows: ChartRow[], x: number[], per: string): ChartSpec {
  const classes = [...new Set(rows.flatMap((r) => Object.keys(r.errors)))].sort();
  if (classes.length) {
    // Stacked: series k shows the sum of classes k..n, drawn largest first so each band is one class.
    const raw = classes.map((c) => rows.map((r) => perMinute(r.errors[c] ?? 0, r.spanSec)));
    const stacked = classes.map((_, k) =>
      raw[0].map((_, t) => {
        const sum = raw.slice(k).reduce((total, r) => total + r[t], 0);
        return sum > 0 ? sum : null; // no zero-height bars
      })
    );
    return {
      id: "errors",
      title: "Errors by class",
      note: `Failed requests per minute, ${per}, stacked by class (timeout, connect, http_5xx, ` +
        "session_lost, …).",
      unit: "errors/min",
      x,
      format: "rate",
      stacked: true,
      series: classes.map((c, k) => {
        const color = ERROR_COLORS[c] ?? PALETTE[k % PALETTE.length];
        return { label: c, values: stacked[k], raw: raw[k], color, fill: alpha(color, 0.85), width: 1 };
      }),
    };
  }
  return {
    id: "errors",
    title: "Errors by class",
    note: "No request failed.",
    unit: "errors/min",
    x,
    format: "rate",
    series: [{ label: "errors", values: rows.map(() => 0), color: "#16a34a", width: 2 }],
  };
}

/**
 * Align several (x, y) series on the union of their x values: null where a series has no sample,
 * and `gaps` lists, per series, the indices where it has a sample that is a gap (null y).
 */
export function joinSeries(
  parts: { x: number[]; y: (number | null)[] }[],
): { x: number[]; ys: (number | null)[][]; gaps: number[][] } {
  const xs = [...new Set(parts.flatMap((p) => p.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const gaps: number[][] = [];
  const ys = parts.map((part) => {
    const values: (number | null)[] = xs.map(() => null);
    const own: number[] = [];
    part.x.forEach((x, i) => {
      const at = index.get(x)!;
      values[at] = part.y[i];
      if (part.y[i] === null) own.push(at);
    });
    gaps.push(own);
    return values;
  });
  return { x: xs, ys, gaps };
}

export function captureChart(
  id: string,
  title: string,
  note: string,
  unit: string,
  format: ChartSpec["format"],
  lines: { label: string; series: CaptureSeries; column: string; scale?: number }[],
): ChartSpec | undefined {
  if (!lines.length) return undefined;
  const { x, ys, gaps } = joinSeries(lines.map((l) => ({
    x: l.series.epochMs.map((ms) => Math.round(ms) / 1000),
    y: l.series.columns[l.column].map((v) => (v === null ? null : v * (l.scale ?? 1))),
  })));
  return {
    id,
    title,
    note,
    unit,
    format,
    x,
    series: lines.map((l, k) => ({
      label: l.label,
      values: ys[k],
      gaps: gaps[k],
      color: PALETTE[k % PALETTE.length],
      width: 2,
    })),
  };
}

export function buildCharts(summary: RunSummary, captures: CaptureSeries[]): ChartSet {
  const rows = chartRows(summary);
  const charts = rowCharts(rows);
  const inFlight = concurrencyChart(rows);
  if (inFlight) charts.push(inFlight);
  const distribution = distributionChart(summary);
  if (distribution) charts.push(distribution);
  const endpoints = endpointLatencyChart(summary.endpoints);
  if (endpoints) charts.push(endpoints);
  charts.push(...endpointTimeCharts(summary, rows));
  const missing: string[] = [];
  charts.push(...serverCharts(captures, missing));

  const loadStart = intervalStartSec(summary);
  const xs = charts.filter((c) => c.xKind === undefined || c.xKind === "time").flatMap((
    c,
  ) => [c.x[0], c.x[c.x.length - 1]])
    .filter((v) => Number.isFinite(v));
  const range: [number, number] = xs.length
    ? [Math.min(loadStart, ...xs), Math.max(...xs)]
    : [loadStart, loadStart + summary.elapsed_sec];
  const warmupEnd = summary.warmup_sec > 0 ? loadStart + summary.warmup_sec : undefined;
  return { charts, range, warmupEnd, loadStart, missing };
}

/** The server-side charts from the capture CSVs; what is absent goes to `missing`. */
function serverCharts(captures: CaptureSeries[], missing: string[]): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const docker = captures.filter((c) => c.kind === "docker");
  const pg = captures.filter((c) => c.kind === "pg");
  if (docker.length) {
    const cpu = captureChart(
      "cpu",
      "Container CPU",
      "CPU % as `docker stats` shows it (100% = one core). Gaps: the container was not running.",
      "% CPU",
      "pct",
      docker.filter((s) => s.columns.cpu_pct).map((s) => ({ label: s.name, series: s, column: "cpu_pct" })),
    );
    const memory = captureChart(
      "memory",
      "Container memory",
      "Memory used (page cache excluded, as `docker stats` shows it).",
      "memory",
      "bytes",
      docker.filter((s) => s.columns.mem_used_bytes).map((s) => ({
        label: s.name,
        series: s,
        column: "mem_used_bytes",
      })),
    );
    if (cpu) charts.push(cpu);
    if (memory) charts.push(memory);
  } else {
    missing.push("No container capture (docker-stats CSV) in the run directory.");
  }
  const connectionLines = pg.flatMap((s) =>
    connectionColumns(s).map((column) => ({
      label: pg.length > 1 ? `${s.name} ${connectionLabel(column)}` : connectionLabel(column),
      series: s,
      column,
    }))
  );
  const connections = captureChart(
    "pg",
    "Postgres connections",
    "Connections of the Moodle database by state, and sessions waiting on locks.",
    "connections",
    "int",
    connectionLines,
  );
  if (connections) charts.push(connections);
  else missing.push("No Postgres capture (pg-stats CSV) in the run directory.");
  return charts;
}

/**
 * The rate, latency and error charts of a run still going (the live dashboard), from its time line so
 * far; the x axis runs from the start to the last second.
 */
export function liveCharts(
  timeline: readonly TimelinePoint[],
  startEpochMs: number,
  warmupSec: number,
): ChartSet {
  const charts = rowCharts(timelineRows(timeline));
  const loadStart = startEpochMs / 1000;
  const last = timeline.at(-1);
  const end = last ? last.epoch_ms / 1000 : loadStart + 1;
  return {
    charts,
    range: [loadStart, Math.max(end, loadStart + 1)],
    warmupEnd: warmupSec > 0 ? loadStart + warmupSec : undefined,
    loadStart,
    missing: [],
  };
}
