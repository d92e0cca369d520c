/** The summary's `journeys` section: per journey counts, duration and think time, with histograms. */
import type { JourneyStats } from "../engine/journey_stats.ts";
import { encodeHistogram, type Histogram, maxMs, percentileMs } from "../engine/histogram.ts";

export interface JourneySummary {
  name: string;
  started: number;
  completed: number;
  failed: number;
  /** Failed iterations by their first failed step (endpoint name) and class. */
  failed_by: Record<string, Record<string, number>>;
  /** Completed iterations: intended start → end of the last step (think time included), ms. */
  duration_ms: { p50: number; p95: number; p99: number; max: number };
  /** Completed iterations: their think time, ms. */
  think_ms: { p50: number; p95: number; max: number };
  histogram: string;
  think_histogram: string;
}

function percentiles(h: Histogram) {
  return { p50: percentileMs(h, 50), p95: percentileMs(h, 95), p99: percentileMs(h, 99), max: maxMs(h) };
}

export function journeySummaries(stats: readonly JourneyStats[]): JourneySummary[] {
  return stats.map((s) => {
    const think = percentiles(s.think);
    return {
      name: s.spec.name,
      started: s.started,
      completed: s.completed,
      failed: s.failed,
      failed_by: s.failedBy as Record<string, Record<string, number>>,
      duration_ms: percentiles(s.duration),
      think_ms: { p50: think.p50, p95: think.p95, max: think.max },
      histogram: encodeHistogram(s.duration),
      think_histogram: encodeHistogram(s.think),
    };
  });
}
