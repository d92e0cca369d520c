/**
 * The rows the report's time charts are drawn from: the summary's 1-second `timeline` when it has
 * one (merged into at most MAX_POINTS rows for long runs), else its progress `intervals` (summaries
 * written before the time line existed). Pure.
 */
import type { RunSummary, TimelinePoint } from "../results/summary_types.ts";
import type { EndpointSecond } from "../engine/timeline.ts";

/** More points than pixels helps nobody: a 1-hour run is drawn as 600 six-second rows. */
export const MAX_POINTS = 600;

export interface ChartRow {
  /** End of the row, epoch seconds. */
  x: number;
  /** Seconds the row covers. */
  spanSec: number;
  targetRpm: number;
  total: number;
  failures: number;
  errors: Record<string, number>;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Service time p95 (progress intervals only; the time line does not keep it). */
  serviceP95?: number;
  inFlight: number;
  /** The most requests in flight at once in the row (time lines written since they carry it). */
  inFlightMax?: number;
  /** Re-logins that succeeded in the row (time lines written since they carry it). */
  relogins?: number;
  /** Per endpoint, in the summary's order: [answers, failures, p50, p95] (time lines that have them). */
  endpoints?: EndpointSecond[];
}

export interface ChartRows {
  rows: ChartRow[];
  source: "timeline" | "intervals";
  /** Seconds per row when the time line was merged (1 when not; undefined for intervals). */
  secondsPerRow?: number;
}

export function chartRows(summary: RunSummary): ChartRows {
  const timeline = summary.timeline;
  if (timeline?.length) return timelineRows(timeline);
  return {
    source: "intervals",
    rows: summary.intervals.map((i) => ({
      x: i.epoch_ms / 1000,
      spanSec: i.interval_sec,
      targetRpm: i.target_rpm,
      total: i.total,
      failures: i.failures,
      errors: i.errors ?? {},
      p50: i.latency_ms_p50,
      p95: i.latency_ms_p95,
      p99: i.latency_ms_p99,
      max: i.latency_ms_max,
      serviceP95: i.service_ms_p95,
      inFlight: i.in_flight,
    })),
  };
}

/** A time line as at most MAX_POINTS rows (the report, and the live dashboard as the run goes). */
export function timelineRows(timeline: readonly TimelinePoint[]): ChartRows {
  const per = Math.max(1, Math.ceil(timeline.length / MAX_POINTS));
  const rows: ChartRow[] = [];
  for (let k = 0; k < timeline.length; k += per) rows.push(mergePoints(timeline.slice(k, k + per)));
  return { rows, source: "timeline", secondsPerRow: per };
}

/**
 * Several seconds as one row. Counts add up exactly; percentiles cannot be merged without the
 * histograms, so the row shows the count-weighted mean of the seconds' p50 and the worst second's
 * p95, p99 and max (an upper envelope: a spike is never averaged away).
 */
export function mergePoints(points: readonly TimelinePoint[]): ChartRow {
  const last = points[points.length - 1];
  const endpoints = mergeEndpointSeconds(points);
  let spanSec = 0, total = 0, failures = 0, targetArea = 0, p50Sum = 0, p95 = 0, p99 = 0, max = 0;
  let relogins: number | undefined;
  let inFlightMax: number | undefined;
  const errors: Record<string, number> = {};
  for (const p of points) {
    spanSec += p.span_sec;
    total += p.total;
    failures += p.failures;
    targetArea += p.target_rpm * p.span_sec;
    p50Sum += p.latency_ms_p50 * p.total;
    if (p.total > 0) {
      p95 = Math.max(p95, p.latency_ms_p95);
      p99 = Math.max(p99, p.latency_ms_p99);
      max = Math.max(max, p.latency_ms_max);
    }
    for (const [name, count] of Object.entries(p.errors)) errors[name] = (errors[name] ?? 0) + count;
    if (p.relogins !== undefined) relogins = (relogins ?? 0) + p.relogins;
    if (p.in_flight_max !== undefined) inFlightMax = Math.max(inFlightMax ?? 0, p.in_flight_max);
  }
  return {
    x: last.epoch_ms / 1000,
    spanSec,
    targetRpm: spanSec > 0 ? targetArea / spanSec : 0,
    total,
    failures,
    errors,
    p50: total > 0 ? p50Sum / total : 0,
    p95,
    p99,
    max,
    inFlight: last.in_flight,
    ...(relogins !== undefined ? { relogins } : {}),
    ...(inFlightMax !== undefined ? { inFlightMax } : {}),
    ...(endpoints ? { endpoints } : {}),
  };
}

/** The per-endpoint figures of several seconds, by the same rule as the totals (sum; mean p50; worst p95). */
function mergeEndpointSeconds(points: readonly TimelinePoint[]): EndpointSecond[] | undefined {
  const first = points.find((p) => p.endpoints)?.endpoints;
  if (!first) return undefined;
  return first.map((_, k) => {
    let total = 0, failures = 0, p50Sum = 0, p95 = 0;
    for (const p of points) {
      const [n, f, p50, p95Here] = p.endpoints?.[k] ?? [0, 0, 0, 0];
      total += n;
      failures += f;
      p50Sum += p50 * n;
      if (n > 0) p95 = Math.max(p95, p95Here);
    }
    return [total, failures, total > 0 ? p50Sum / total : 0, p95];
  });
}
