/**
 * The A/B report's charts: two runs laid over each other on every chart the single-run report has
 * (rate, latency band, errors, distribution, per endpoint, server-side capture), the time axis in
 * seconds since each run's start so a run at 05:00 and one at 06:00 line up. Base is blue, the
 * candidate orange; the same rows (rows.ts), curves (distribution.ts) and capture columns
 * (capture.ts) as the single-run report. Pure.
 */
import type { RunSummary } from "../results/summary_types.ts";
import { type CaptureSeries, connectionColumns, connectionLabel } from "./capture.ts";
import { type ChartRow, chartRows } from "./rows.ts";
import type { ChartSeries, ChartSet, ChartSpec } from "./chart_types.ts";
import { alpha, intervalStartSec, joinSeries, PALETTE, perMinute } from "./charts.ts";
import { curve, decoded, ninesAxis } from "./distribution.ts";
import { busiestEndpoints, endpointBarChart } from "./endpoint_chart.ts";

export interface AbRun {
  label: string;
  summary: RunSummary;
  captures: CaptureSeries[];
}

export const BASE_COLOR = "#2563eb";
export const CANDIDATE_COLOR = "#ea580c";

interface Side {
  run: AbRun;
  name: "base" | "candidate";
  color: string;
  /** Epoch seconds of the run's start: x = epoch − start. */
  startSec: number;
  rows: ChartRow[];
}

function sideOf(run: AbRun, name: Side["name"], color: string): Side {
  return { run, name, color, startSec: intervalStartSec(run.summary), rows: chartRows(run.summary).rows };
}

/**
 * The main line of each run: the base wide and solid, the candidate narrower and dashed on top, so
 * two runs that match (identical error seconds, the same rate) still both show.
 */
function lineStyle(side: Side): Pick<ChartSeries, "color" | "width" | "dash"> {
  return side.name === "base"
    ? { color: side.color, width: 3.5 }
    : { color: side.color, width: 1.5, dash: [6, 3] };
}

/** Seconds since the run's start, to 0.1 s (the two runs' seconds then share x values). */
const since = (epochSec: number, side: Side) => Math.round((epochSec - side.startSec) * 10) / 10;

/** Each side's lines, joined on the union of the two runs' x values. */
function overlay(
  sides: Side[],
  lines: (
    side: Side,
  ) => { series: Omit<ChartSeries, "values" | "gaps">; x: number[]; y: (number | null)[] }[],
): { x: number[]; series: ChartSeries[] } {
  const all = sides.flatMap(lines);
  const joined = joinSeries(all.map((l) => ({ x: l.x, y: l.y })));
  return {
    x: joined.x,
    series: all.map((l, k) => ({ ...l.series, values: joined.ys[k], gaps: joined.gaps[k] })),
  };
}

function rowLines(side: Side, make: (r: ChartRow) => number | null) {
  return { x: side.rows.map((r) => since(r.x, side)), y: side.rows.map(make) };
}

function rateChart(sides: Side[]): ChartSpec {
  const { x, series } = overlay(sides, (side) => [
    {
      series: { label: `${side.name} target`, color: alpha(side.color, 0.6), dash: [6, 4], width: 1.5 },
      ...rowLines(side, (r) => r.targetRpm),
    },
    {
      series: { label: `${side.name} observed`, ...lineStyle(side) },
      ...rowLines(side, (r) => perMinute(r.total, r.spanSec)),
    },
  ]);
  return {
    id: "rate",
    title: "Request rate",
    note: "Target (dashed) vs observed requests per minute of both runs, on seconds since each run's start.",
    unit: "req/min",
    x,
    series,
    format: "rate",
    xKind: "elapsed",
  };
}

/** Each run's p50–p95 band shaded in its colour, p99 a line. */
function latencyChart(sides: Side[]): ChartSpec {
  const value = (r: ChartRow, v: number) => (r.total > 0 ? v : null);
  const { x, series } = overlay(sides, (side) => [
    {
      series: { label: `${side.name} p50`, color: side.color, width: 1 },
      ...rowLines(side, (r) => value(r, r.p50)),
    },
    {
      series: { label: `${side.name} p95`, color: side.color, width: 1 },
      ...rowLines(side, (r) => value(r, r.p95)),
    },
    {
      series: { label: `${side.name} p99`, color: side.color, width: 2, dash: [5, 3] },
      ...rowLines(side, (r) => value(r, r.p99)),
    },
  ]);
  return {
    id: "latency",
    title: "Latency",
    note: "From the intended start: each run's p50–p95 shaded in its colour, p99 dashed (base blue, " +
      "candidate orange).",
    unit: "ms",
    x,
    series,
    format: "ms",
    logToggle: true,
    xKind: "elapsed",
    bands: sides.map((side, k) => ({ upper: 3 * k + 1, lower: 3 * k, fill: alpha(side.color, 0.2) })),
  };
}

function errorsChart(sides: Side[]): ChartSpec {
  const { x, series } = overlay(sides, (side) => [{
    series: { label: `${side.name} errors`, ...lineStyle(side) },
    ...rowLines(side, (r) => perMinute(r.failures, r.spanSec)),
  }]);
  return {
    id: "errors",
    title: "Errors",
    note: "Failed requests per minute of both runs (every class; the verdict table has the error rates).",
    unit: "errors/min",
    x,
    series,
    format: "rate",
    xKind: "elapsed",
  };
}

function distributionChart(sides: Side[]): ChartSpec | undefined {
  const x = ninesAxis();
  const series: ChartSeries[] = [];
  for (const side of sides) {
    const latency = decoded(side.run.summary.histograms?.latency);
    if (!latency || latency.totalCount === 0) continue;
    series.push({
      label: `${side.name} all endpoints`,
      values: curve(latency, x),
      color: side.color,
      width: 2.5,
    });
    const service = decoded(side.run.summary.histograms.service);
    if (service) {
      series.push({
        label: `${side.name} service time`,
        values: curve(service, x),
        color: side.color,
        dash: [4, 4],
        width: 1.5,
      });
    }
  }
  if (!series.length) return undefined;
  return {
    id: "distribution",
    title: "Latency distribution",
    note:
      "Latency at each percentile of each measured run (HDR histograms), x in nines; dashed: service time.",
    unit: "ms",
    x,
    xKind: "nines",
    logToggle: true,
    format: "ms",
    series,
  };
}

function endpointsChart(sides: Side[]): ChartSpec | undefined {
  const names = busiestEndpoints(...sides.map((s) => s.run.summary.endpoints));
  return endpointBarChart(
    names,
    sides.map((side) => ({
      label: `${side.name} p95`,
      color: side.color,
      of: (name: string) => {
        const e = side.run.summary.endpoints.find((x) => x.name === name);
        return e && e.total > 0 ? e.latency_ms_p95 : null;
      },
    })),
    "p95 from the intended start of each endpoint in both runs (the verdict table says which changes are real).",
  );
}

/** One capture chart: every series of `kind` in both runs, one colour per container, dashed = candidate. */
function captureOverlay(
  sides: Side[],
  spec: Omit<ChartSpec, "x" | "series" | "xKind">,
  lines: (capture: CaptureSeries) => { label: string; column: string }[],
  kind: CaptureSeries["kind"],
): ChartSpec | undefined {
  const names = [
    ...new Set(sides.flatMap((s) => s.run.captures.filter((c) => c.kind === kind).map((c) => c.name))),
  ]
    .sort();
  const { x, series } = overlay(
    sides,
    (side) =>
      side.run.captures.filter((c) => c.kind === kind).flatMap((capture) =>
        lines(capture).map((line, k) => ({
          series: {
            label: `${side.name} ${line.label}`,
            color: PALETTE[(names.indexOf(capture.name) + k) % PALETTE.length],
            dash: side.name === "candidate" ? [6, 3] : undefined,
            width: side.name === "candidate" ? 2 : 1.5,
          },
          x: capture.epochMs.map((ms) => since(ms / 1000, side)),
          y: capture.columns[line.column],
        }))
      ),
  );
  return series.length ? { ...spec, x, series, xKind: "elapsed" } : undefined;
}

function captureCharts(sides: Side[]): ChartSpec[] {
  const column =
    (name: string) => (c: CaptureSeries) => (c.columns[name] ? [{ label: c.name, column: name }] : []);
  const charts = [
    captureOverlay(
      sides,
      {
        id: "cpu",
        title: "Container CPU",
        note: "CPU % as `docker stats` shows it (100% = one core); solid base, dashed candidate.",
        unit: "% CPU",
        format: "pct",
      },
      column("cpu_pct"),
      "docker",
    ),
    captureOverlay(
      sides,
      {
        id: "memory",
        title: "Container memory",
        note: "Memory used (page cache excluded); solid base, dashed candidate.",
        unit: "memory",
        format: "bytes",
      },
      column("mem_used_bytes"),
      "docker",
    ),
    captureOverlay(
      sides,
      {
        id: "pg",
        title: "Postgres connections",
        note: "Connections of the Moodle database by state; solid base, dashed candidate.",
        unit: "connections",
        format: "int",
      },
      (c) => connectionColumns(c).map((col) => ({ label: connectionLabel(col), column: col })),
      "pg",
    ),
  ];
  return charts.filter((c): c is ChartSpec => c !== undefined);
}

export function buildAbCharts(base: AbRun, candidate: AbRun): ChartSet {
  const sides = [sideOf(base, "base", BASE_COLOR), sideOf(candidate, "candidate", CANDIDATE_COLOR)];
  const charts: ChartSpec[] = [rateChart(sides), latencyChart(sides), errorsChart(sides)];
  const distribution = distributionChart(sides);
  if (distribution) charts.push(distribution);
  const endpoints = endpointsChart(sides);
  if (endpoints) charts.push(endpoints);
  charts.push(...captureCharts(sides));
  const xs = charts.filter((c) => c.xKind === "elapsed").flatMap((c) => [c.x[0], c.x[c.x.length - 1]])
    .filter((v) => Number.isFinite(v));
  const range: [number, number] = xs.length ? [Math.min(0, ...xs), Math.max(...xs)] : [0, 1];
  const warmup = Math.max(base.summary.warmup_sec, candidate.summary.warmup_sec);
  const missing = sides.filter((s) => !s.run.captures.length).map((s) =>
    `No server-side capture (docker-stats or pg-stats CSV) in the ${s.name} run directory.`
  );
  return { charts, range, warmupEnd: warmup > 0 ? warmup : undefined, loadStart: 0, missing };
}
