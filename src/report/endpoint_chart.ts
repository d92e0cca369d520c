/**
 * Latency per endpoint as grouped bars (x = the endpoints, busiest first): the single-run report
 * shows p50, p95 and p99 side by side; the A/B report shows one percentile of both runs. Pure.
 */
import type { EndpointSummary } from "../results/summary_types.ts";
import type { ChartSeries, ChartSpec } from "./chart_types.ts";

/** More bars than this are unreadable at 620 px: the busiest endpoints are shown. */
export const MAX_ENDPOINT_BARS = 12;

const BAR_POSITIONS: readonly (-1 | 0 | 1)[] = [-1, 0, 1];

/** The endpoints shown: the busiest of either list, in order of traffic. */
export function busiestEndpoints(...lists: readonly EndpointSummary[][]): string[] {
  const traffic = new Map<string, number>();
  for (const list of lists) {
    for (const e of list) traffic.set(e.name, (traffic.get(e.name) ?? 0) + e.total);
  }
  return [...traffic].filter(([, total]) => total > 0).sort((a, b) => b[1] - a[1]).slice(0, MAX_ENDPOINT_BARS)
    .map(([name]) => name);
}

/** One bar series per entry (at most three: left, centre, right of each endpoint). */
export function endpointBarChart(
  names: string[],
  bars: { label: string; color: string; of: (name: string) => number | null }[],
  note: string,
): ChartSpec | undefined {
  if (!names.length) return undefined;
  const series: ChartSeries[] = bars.slice(0, 3).map((b, k) => ({
    label: b.label,
    values: names.map(b.of),
    color: b.color,
    fill: b.color,
    width: 1,
    bar: bars.length === 1 ? 0 : bars.length === 2 ? (k === 0 ? -1 : 1) : BAR_POSITIONS[k],
  }));
  return {
    id: "endpoints",
    title: "Latency per endpoint",
    note,
    unit: "ms",
    x: names.map((_, k) => k),
    xKind: "category",
    categories: names,
    format: "ms",
    logToggle: true,
    series,
  };
}

/** The single-run chart: p50, p95, p99 of each endpoint (from the intended start). */
export function endpointLatencyChart(endpoints: readonly EndpointSummary[]): ChartSpec | undefined {
  if (endpoints.length < 2) return undefined;
  const names = busiestEndpoints([...endpoints]);
  const by = new Map(endpoints.map((e) => [e.name, e]));
  const value = (pick: (e: EndpointSummary) => number) => (name: string) => {
    const e = by.get(name);
    return e && e.total > 0 ? pick(e) : null;
  };
  return endpointBarChart(
    names,
    [
      { label: "p50", color: "#16a34a", of: value((e) => e.latency_ms_p50) },
      { label: "p95", color: "#d97706", of: value((e) => e.latency_ms_p95) },
      { label: "p99", color: "#dc2626", of: value((e) => e.latency_ms_p99) },
    ],
    `p50, p95 and p99 from the intended start of the ${names.length} busiest endpoints (busiest left).`,
  );
}
