/** The chart data the report page hands to uPlot (built by charts.ts and distribution.ts). */

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  dash?: number[];
  /** Fill under the line (rgba). */
  fill?: string;
  width?: number;
  /** For stacked charts: the value shown in the legend (the series' own, not the stacked sum). */
  raw?: (number | null)[];
  /**
   * Indices whose null is a real gap (a capture gap row: the line breaks). Other nulls only mean
   * "this series has no sample at this x" (series joined on a shared x) and the line spans them.
   */
  gaps?: number[];
  /** Dots only, no line (the latency chart's max). */
  points?: boolean;
  /** Bars (category charts): drawn left of (-1), on (0) or right of (1) each x, so groups sit side by side. */
  bar?: -1 | 0 | 1;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** One line under the title: what is plotted and how to read it. */
  note: string;
  /** Y axis unit label. */
  unit: string;
  /** Epoch seconds. */
  x: number[];
  series: ChartSeries[];
  /** Format of values in the legend: "ms", "pct", "bytes", "int", "rate". */
  format: "ms" | "pct" | "bytes" | "int" | "rate";
  stacked?: boolean;
  /** Shaded bands between two series (indices into `series`): upper, lower. */
  bands?: { upper: number; lower: number; fill: string }[];
  /** The page offers a log-scale y axis. */
  logToggle?: boolean;
  /**
   * x is epoch seconds on the shared, synced time axis (default); percentile "nines"; "elapsed":
   * seconds since the run's start (the A/B report lays two runs over each other on it); or
   * "category": 0, 1, 2 … naming `categories` (one bar group per endpoint).
   */
  xKind?: "time" | "nines" | "elapsed" | "category";
  /** xKind "category": the name of each x. */
  categories?: string[];
}

export interface ChartSet {
  charts: ChartSpec[];
  /** The shared x range (epoch seconds). */
  range: [number, number];
  /** End of the warm-up (epoch seconds), shaded on every chart. */
  warmupEnd?: number;
  /** Start of the load (epoch seconds). */
  loadStart: number;
  /** What was not in the run directory, one line each. */
  missing: string[];
}
