/** The terminal view of a comparison: one row per endpoint, details of what changed, the method. */
import { binaryBytes, formatMs } from "../output/format.ts";
import { renderTable } from "../output/table.ts";
import type { Comparison, EndpointComparison, MetricComparison, PerfComparison } from "./compare.ts";

/** A relative change as "+12.3%" ("new" when the base was 0); the A/B report shows the same. */
export function signed(change: number | null): string {
  if (change === null) return "new";
  const value = change * 100;
  return `${value >= 0 ? "+" : ""}${Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1)}%`;
}

/** A metric's value in its unit (ms, %, rpm). */
export function value(metric: MetricComparison, v: number): string {
  if (!Number.isFinite(v)) return "-";
  if (metric.metric === "error_rate") return `${(v * 100).toFixed(2)}%`;
  if (metric.metric === "rpm_observed") return v.toFixed(0);
  return formatMs(v);
}

const MARK: Record<MetricComparison["verdict"], string> = {
  "regression": " ✗",
  "improvement": " ✓",
  "no significant change": "",
  "not comparable": " ?",
};

function cell(metric: MetricComparison): string {
  if (metric.verdict === "not comparable" && !Number.isFinite(metric.base * metric.candidate)) return "-";
  const change = metric.metric === "error_rate"
    ? `${metric.difference >= 0 ? "+" : ""}${(metric.difference * 100).toFixed(2)}pp`
    : signed(metric.change);
  return `${value(metric, metric.base)}→${value(metric, metric.candidate)} ${change}${MARK[metric.verdict]}`;
}

/** An endpoint's verdict with the metrics behind it: "REGRESSION (p95 p99)". */
export function verdictCell(row: EndpointComparison): string {
  const of = (verdict: string) =>
    row.metrics.filter((m) => m.verdict === verdict).map((m) => m.metric).join(" ");
  if (row.verdict === "regression") return `REGRESSION (${of("regression")})`;
  if (row.verdict === "improvement") return `improvement (${of("improvement")})`;
  return row.verdict;
}

function perfValue(figure: PerfComparison["figure"], v: number): string {
  if (figure === "memory_peak_bytes_mean") return binaryBytes(Math.round(v));
  if (figure.includes("_ms_")) return formatMs(v);
  return v.toFixed(v >= 100 ? 0 : 1);
}

const PERF_LABEL: Record<PerfComparison["figure"], string> = {
  time_used_ms_mean: "server time ms",
  time_used_ms_p95: "server time p95",
  db_reads_mean: "DB reads",
  db_writes_mean: "DB writes",
  db_time_ms_mean: "DB time ms",
  memory_peak_bytes_mean: "memory peak",
  included_files_mean: "included files",
  session_wait_ms_mean: "session wait ms",
};

function runLine(label: string, run: Comparison["base"]): string {
  return `${label.padEnd(10)} ${run.label}  (started ${
    run.started_at.replace("T", " ").replace(/\.\d+Z$/, "Z")
  }, ` +
    `target ${run.target_rpm.toFixed(0)} rpm, ${
      run.elapsed_sec.toFixed(0)
    } s measured, ${run.total} requests)`;
}

export function renderComparison(comparison: Comparison): string {
  const rows = [comparison.overall, ...comparison.endpoints];
  const out: string[] = [runLine("base", comparison.base), runLine("candidate", comparison.candidate), ""];
  // Before the table and the verdict: what else differs changes how far the verdict can be trusted.
  if (comparison.warnings.length) {
    out.push(...comparison.warnings.map((line) => `Warning: ${line}`), "");
  }
  out.push(renderTable(
    ["Endpoint", "Requests", "p50 ms", "p95 ms", "p99 ms", "Errors", "RPM", "Verdict"],
    rows.map((row) => [
      row.name,
      `${row.base_requests}→${row.candidate_requests}`,
      ...row.metrics.map(cell),
      verdictCell(row),
    ]),
  ));
  const perf = perfTable(rows);
  if (perf) out.push("", "Moodle performance footer (server-side means; information, not tested):", perf);
  out.push("", ...verdictLines(comparison, rows));
  return out.join("\n");
}

/** The footer figures that point at a code path (--json has them all); undefined without a footer. */
function perfTable(rows: EndpointComparison[]): string | undefined {
  const perfRows = rows.filter((row) => row.moodle_perf.length);
  if (!perfRows.length) return undefined;
  const shown: PerfComparison["figure"][] = [
    "time_used_ms_mean",
    "db_reads_mean",
    "db_writes_mean",
    "memory_peak_bytes_mean",
    "included_files_mean",
  ];
  const present = new Set(perfRows.flatMap((row) => row.moodle_perf.map((p) => p.figure)));
  const figures = shown.filter((f) => present.has(f));
  return renderTable(
    ["Endpoint", ...figures.map((f) => PERF_LABEL[f])],
    perfRows.map((row) => [
      row.name,
      ...figures.map((figure) => {
        const p = row.moodle_perf.find((x) => x.figure === figure);
        return p ? `${perfValue(figure, p.base)}→${perfValue(figure, p.candidate)} ${signed(p.change)}` : "-";
      }),
    ]),
  );
}

/** The whole comparison's verdict in one line: "REGRESSION: course_view p95, (all) p99". */
export function verdictHeadline(comparison: Comparison): string {
  return comparison.verdict === "regression"
    ? `REGRESSION: ${comparison.regressions.join(", ")}`
    : comparison.verdict === "improvement"
    ? `improvement: ${comparison.improvements.join(", ")}`
    : comparison.verdict;
}

/** The verdict line, each significant change with its interval and reason, the notes and the method. */
function verdictLines(comparison: Comparison, rows: EndpointComparison[]): string[] {
  const changed = rows.flatMap((row) =>
    row.metrics.filter((m) => m.verdict === "regression" || m.verdict === "improvement").map((m) =>
      `  ${m.verdict === "regression" ? "✗" : "✓"} ${row.name} ${m.metric}: ${value(m, m.base)} → ${
        value(m, m.candidate)
      } (${m.metric === "error_rate" ? `${(m.difference * 100).toFixed(2)}pp` : signed(m.change)}${
        m.change_interval ? `, 95% CI ${signed(m.change_interval[0])}…${signed(m.change_interval[1])}` : ""
      }) — ${m.reason}`
    )
  );
  return [
    `Verdict: ${verdictHeadline(comparison)}`,
    ...changed,
    ...comparison.notes.map((note) => `Note: ${note}`),
    `Method: changes count only when larger than noise (${Math.round(comparison.method.confidence * 100)}% ` +
    `level, Holm-corrected) and than the ${
      (comparison.method.min_effect * 100).toFixed(0)
    }% minimum effect; ` +
    `✗ regression, ✓ improvement, ? too few requests. See docs/compare.md.`,
  ];
}
