/**
 * Per endpoint (or journey step) over time: each busy endpoint's p95 latency and its rate, one line
 * each, from the time line's per-endpoint seconds (rows.ts). A click on a legend entry hides or
 * shows that endpoint (uPlot's legend), so one endpoint can be looked at alone. Pure.
 */
import type { RunSummary } from "../results/summary_types.ts";
import type { ChartRows } from "./rows.ts";
import type { ChartSpec } from "./chart_types.ts";

/** More lines than this cannot be told apart: the busiest endpoints are drawn. */
export const MAX_ENDPOINT_LINES = 8;
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];

export function endpointTimeCharts(summary: RunSummary, { rows, secondsPerRow }: ChartRows): ChartSpec[] {
  if (!rows.length || !rows.every((r) => r.endpoints?.length === summary.endpoints.length)) return [];
  const shown = summary.endpoints.map((e, k) => ({ name: e.name, total: e.total, k }))
    .filter((e) => e.total > 0).sort((a, b) => b.total - a.total).slice(0, MAX_ENDPOINT_LINES);
  if (shown.length < 2) return [];
  const x = rows.map((r) => r.x);
  const per = secondsPerRow === 1 ? "per second" : `per ${secondsPerRow} s`;
  const note =
    `the ${shown.length} busiest endpoints, ${per}; click a name in the legend to hide or show it.`;
  return [
    {
      id: "endpoint-latency",
      title: "Latency by endpoint",
      note: `p95 from the intended start of ${note}`,
      unit: "ms",
      x,
      format: "ms",
      logToggle: true,
      series: shown.map((e, i) => ({
        label: e.name,
        values: rows.map((r) => (r.endpoints![e.k][0] > 0 ? r.endpoints![e.k][3] : null)),
        color: COLORS[i % COLORS.length],
        width: 1.5,
      })),
    },
    {
      id: "endpoint-rate",
      title: "Rate by endpoint",
      note: `Answers per minute of ${note}`,
      unit: "req/min",
      x,
      format: "rate",
      series: shown.map((e, i) => ({
        label: e.name,
        values: rows.map((r) => (r.spanSec > 0 ? r.endpoints![e.k][0] / r.spanSec * 60 : 0)),
        color: COLORS[i % COLORS.length],
        width: 1.5,
      })),
    },
  ];
}
