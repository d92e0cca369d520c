/** What `run` shows at the end: the final tables (human units only here; the live view is run_live.ts). */
import { decimalBytes, formatDuration, formatMs } from "../output/format.ts";
import { renderTable } from "../output/table.ts";
import { fitWidth, WIDE_COLUMNS } from "./run_live.ts";
import type { FullRunSummary } from "../results/summary.ts";
import type { JourneyStats } from "../engine/journey_stats.ts";
import { percentileMs } from "../engine/histogram.ts";
import { stallsDistort } from "../engine/stalls.ts";
import type { JourneyRow } from "../output/journey_table.ts";

const rpm = (value: number) => value.toFixed(0);

/**
 * The journeys as they stand (the engine's live accumulators, measured iterations only): the live
 * block's journey rows. `urlJourneys` are urls run as one-step journeys: not shown as journeys.
 */
export function liveJourneyRows(
  stats: readonly JourneyStats[],
  urlJourneys: ReadonlySet<string>,
): JourneyRow[] {
  return stats.filter((j) => !urlJourneys.has(j.spec.name)).map((j) => ({
    name: j.spec.name,
    started: j.started,
    completed: j.completed,
    failed: j.failed,
    failed_by: j.failedBy as Record<string, Record<string, number>>,
    duration_ms: { p50: percentileMs(j.duration, 50), p95: percentileMs(j.duration, 95) },
    think_ms: { p50: percentileMs(j.think, 50), p95: percentileMs(j.think, 95) },
  }));
}

export function finalTable(s: FullRunSummary): string {
  const rows: (string | number)[][] = [
    ["Elapsed (measured)", `${formatDuration(s.elapsed_sec)}${s.interrupted ? " (interrupted)" : ""}`],
    ["Target RPM (mean)", rpm(s.target_rpm)],
    ["Observed RPM", rpm(s.req_per_min_observed)],
    ["Total", s.total],
    ["Success", s.success],
    ["Failures", `${s.failures} (${(s.error_rate * 100).toFixed(2)}%)`],
    [
      "Latency p50 / p95 / p99 ms",
      `${formatMs(s.latency_ms_p50)} / ${formatMs(s.latency_ms_p95)} / ${formatMs(s.latency_ms_p99)}`,
    ],
    ["Latency max / mean ms", `${formatMs(s.latency_ms_max)} / ${formatMs(s.latency_ms_mean)}`],
    [
      "Service p50 / p95 / p99 ms",
      `${formatMs(s.service_ms_p50)} / ${formatMs(s.service_ms_p95)} / ${formatMs(s.service_ms_p99)}`,
    ],
    ["Late (> " + s.late_bound_ms + " ms after intended)", s.late],
    ["Not sent", s.not_sent],
    [
      "Scheduler lateness p50 / p99 / max ms",
      `${formatMs(s.scheduler_lateness_ms.p50)} / ${formatMs(s.scheduler_lateness_ms.p99)} / ${
        formatMs(s.scheduler_lateness_ms.max)
      }`,
    ],
    ...stallRows(s),
    ["Bytes received (decoded)", decimalBytes(s.bytes)],
    ["Bytes on the wire", decimalBytes(s.wire_bytes ?? s.bytes)],
    ["Users logged in", `${s.login.logged_in} / ${s.login.attempted}`],
    ["Re-logins (session lost, logout)", s.login.relogins],
    ["Seed", s.seed],
  ];
  if (s.warmup_sec > 0) {
    rows.splice(1, 0, ["Warm-up (excluded)", `${formatDuration(s.warmup_sec)}, ${s.warmup.total} requests`]);
  }
  if (s.abandoned > 0) rows.push(["Abandoned after grace", s.abandoned]);
  const errors = Object.entries(s.errors).map(([name, n]) => `${name} ${n}`).join(", ");
  if (errors) rows.push(["Errors", errors]);
  const statuses = Object.entries(s.status_codes).map(([code, n]) => `${code}: ${n}`).join(", ");
  if (statuses) rows.push(["Status codes", statuses]);
  if (s.moodle_perf) {
    rows.push([
      "Moodle time used mean / p95 ms",
      `${formatMs(s.moodle_perf.time_used_ms_mean ?? NaN)} / ${
        formatMs(s.moodle_perf.time_used_ms_p95 ?? NaN)
      }`,
    ]);
  }
  return renderTable(["Result", "Value"], rows, { align: ["left", "right"] });
}

/** formatMs with its unit: "19.9 ms", "123.5s". */
const withUnit = (ms: number) => {
  const text = formatMs(ms);
  return text.endsWith("s") ? text : `${text} ms`;
};

/** moodle-load's own stalls of 10 ms or more (absent in older summaries). */
function stallRows(s: FullRunSummary): (string | number)[][] {
  const stalls = s.generator_stalls;
  if (!stalls) return [];
  const text = stalls.count === 0 ? "0" : `${stalls.count}, longest ${withUnit(stalls.max_ms)}`;
  return [["Generator stalls ≥ 10 ms (GC, own work)", text]];
}

/**
 * One line when moodle-load's own stalls were large enough to distort the latencies (stalls.ts), else
 * undefined: answers read during a stall were read late. README says what to do (spread the load over
 * more processes with `run --shard`, or lower the rate per process).
 */
export function stallWarning(s: FullRunSummary): string | undefined {
  const stalls = s.generator_stalls;
  if (!stalls || !stallsDistort(stalls, s.latency_ms_p50)) return undefined;
  // One line that fits 80 columns (a terminal's live view must not wrap); the table row has the count.
  return `moodle-load: warning: latencies include generator stalls up to ${withUnit(stalls.max_ms)} (GC)`;
}

/**
 * The endpoint table; when journeys ran, a Journey column and the step's own name (a url run beside
 * journeys has "-" as its journey). `columns` (a terminal's width) below WIDE_COLUMNS: the narrow form
 * that fits 80 columns (no service time, bytes or DB reads; long names cut); undefined (a log, a pipe):
 * every column.
 */
export function endpointTable(s: FullRunSummary, columns?: number): string {
  const narrow = columns !== undefined && columns < WIDE_COLUMNS;
  const perf = s.endpoints.some((e) => e.moodle_perf);
  const journeys = (s.journeys ?? []).map((j) => j.name);
  const journeyOf = (name: string) => journeys.find((j) => name.startsWith(`${j}/`));
  const cut = (name: string) =>
    narrow && name.length > NARROW_NAME_CHARS ? `${name.slice(0, NARROW_NAME_CHARS - 1)}…` : name;
  const head = [
    ...(journeys.length ? ["Journey", "Step"] : ["Endpoint"]),
    ..."RPM,Total,Failures,p50 ms,p95 ms,p99 ms".split(","),
  ];
  if (!narrow) head.push("Service p95", "Bytes");
  if (perf) head.push("Moodle ms");
  if (perf && !narrow) head.push("DB reads");
  const rows = s.endpoints.map((e) => {
    const journey = journeyOf(e.name);
    const row: (string | number)[] = [
      ...(journeys.length
        ? [cut(journey ?? "-"), cut(journey ? e.name.slice(journey.length + 1) : e.name)]
        : [cut(e.name)]),
      rpm(e.req_per_min_observed),
      e.total,
      e.failures,
      formatMs(e.latency_ms_p50),
      formatMs(e.latency_ms_p95),
      formatMs(e.latency_ms_p99),
    ];
    if (!narrow) row.push(formatMs(e.service_ms_p95), decimalBytes(e.bytes));
    if (perf) row.push(formatMs(e.moodle_perf?.time_used_ms_mean ?? NaN));
    if (perf && !narrow) row.push(e.moodle_perf?.db_reads_mean?.toFixed(1) ?? "-");
    return row;
  });
  return renderTable(head, rows, {
    align: head.map((_, k) => (k === 0 || (journeys.length > 0 && k === 1) ? "left" : "right")),
  });
}

/** An endpoint name in the narrow table: longer ones are cut (the summary JSON has them whole). */
const NARROW_NAME_CHARS = 24;

/** Reasons shown at the end of a run (all of them are in the summary JSON). */
const REASONS_SHOWN = 10;

/** The measured failures by class and reason, most frequent first; undefined when none failed. */
export function errorReasonTable(s: FullRunSummary, columns?: number): string | undefined {
  const rows = Object.entries(s.error_reasons ?? {})
    .flatMap(([errorClass, reasons]) =>
      Object.entries(reasons).map(([reason, count]) => [errorClass, count, reason])
    )
    .sort((a, b) => Number(b[1]) - Number(a[1]));
  if (rows.length === 0) return undefined;
  const more = rows.length > REASONS_SHOWN
    ? `\n… ${rows.length - REASONS_SHOWN} more in the summary JSON`
    : "";
  const table = renderTable(["Error", "Count", "Reason"], rows.slice(0, REASONS_SHOWN), {
    align: ["left", "right", "left"],
  }) + more;
  // On a terminal a long reason is cut at its edge rather than wrapped through the table.
  return columns === undefined ? table : fitWidth(table, columns);
}

/** The JSON printed on stdout: the summary without the bulky histograms and interval rows. */
export function stdoutSummary(s: FullRunSummary, summaryFile: string): Record<string, unknown> {
  const { histograms: _h, intervals: _i, timeline: _t, endpoints, lateness_histogram: _l, ...rest } = s;
  return {
    ...rest,
    endpoints: endpoints.map(({ histogram: _a, service_histogram: _b, ...e }) => e),
    intervals: s.intervals.length,
    timeline: s.timeline?.length ?? 0,
    summary_file: summaryFile,
  };
}
