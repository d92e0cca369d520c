/**
 * The latency distribution chart: the HDR percentile curve as HdrHistogram's plotter draws it — value
 * against percentile, the x axis in "nines" (x = log10(1 / (1 − p)): 0 → 0 %, 1 → 90 %, 2 → 99 % … 5 →
 * 99.999 %), so the tail gets as much room as the body. From the summary's serialised histograms. Pure.
 */
import type { RunSummary } from "../results/summary_types.ts";
import { decodeHistogram, type Histogram } from "../engine/histogram.ts";
import type { ChartSeries, ChartSpec } from "./chart_types.ts";

/** The curve ends at 99.999 % (five nines): beyond it a run of minutes has no samples. */
export const MAX_NINES = 5;
const STEPS = 100;
/** Endpoints drawn beside the overall curve (the busiest ones). */
const MAX_ENDPOINTS = 6;
const ENDPOINT_COLORS = ["#7c3aed", "#0891b2", "#db2777", "#65a30d", "#ea580c", "#475569"];

/** The percentile (0..100) at `nines` on the x axis. */
export function percentileAtNines(nines: number): number {
  return 100 * (1 - Math.pow(10, -nines));
}

/** x positions of the curve: 0..MAX_NINES in STEPS steps. */
export function ninesAxis(): number[] {
  return Array.from({ length: STEPS + 1 }, (_, k) => (k * MAX_NINES) / STEPS);
}

/** The value in ms at each x (never more than the largest value recorded: HDR answers a bucket's top). */
export function curve(histogram: Histogram, x: number[]): (number | null)[] {
  if (histogram.totalCount === 0) return x.map(() => null);
  return x.map((n) =>
    Math.min(histogram.getValueAtPercentile(percentileAtNines(n)), histogram.maxValue) / 1000
  );
}

export function decoded(encoded: string | undefined): Histogram | undefined {
  if (!encoded) return undefined;
  try {
    return decodeHistogram(encoded);
  } catch {
    return undefined; // a damaged histogram loses its curve, not the report
  }
}

export function distributionChart(summary: RunSummary): ChartSpec | undefined {
  const overall = decoded(summary.histograms?.latency);
  if (!overall || overall.totalCount === 0) return undefined;
  const x = ninesAxis();
  const series: ChartSeries[] = [{
    label: "all endpoints",
    values: curve(overall, x),
    color: "#dc2626",
    width: 2.5,
  }];
  const service = decoded(summary.histograms.service);
  if (service) {
    series.push({
      label: "service time",
      values: curve(service, x),
      color: "#dc2626",
      dash: [4, 4],
      width: 1.5,
    });
  }
  const busiest = [...summary.endpoints].filter((e) => e.total > 0).sort((a, b) => b.total - a.total)
    .slice(0, MAX_ENDPOINTS);
  if (summary.endpoints.length > 1) {
    busiest.forEach((endpoint, k) => {
      const histogram = decoded(endpoint.histogram);
      if (!histogram) return;
      series.push({
        label: endpoint.name,
        values: curve(histogram, x),
        color: ENDPOINT_COLORS[k % ENDPOINT_COLORS.length],
        width: 1.5,
      });
    });
  }
  return {
    id: "distribution",
    title: "Latency distribution",
    note: "Latency (from the intended start) at each percentile of the measured run, HDR histogram; x axis " +
      "in nines (90 %, 99 %, 99.9 % … equally spaced), as HdrHistogram's plotter draws it.",
    unit: "ms",
    x,
    xKind: "nines",
    logToggle: true,
    format: "ms",
    series,
  };
}
