/**
 * One container's capture as a sequence of rows and gaps, from the samples its stats stream
 * delivers (pure: no I/O, so the gap and interval rules are unit-tested).
 *
 * - The first sample after attaching only sets the baseline: its `precpu_stats` is zero, so the
 *   CPU% the daemon could give for it is a lifetime average.
 * - A row is written when a sample is at least `--interval` after the previous row's sample; its
 *   CPU% is computed against that sample, so longer intervals average over the whole interval.
 * - A stopped container (the daemon keeps streaming "0001-01-01" samples), a restart (CPU counters
 *   go backwards) or a lost stream produce ONE gap row; rows resume after a new baseline.
 */
import { isNotRunningSample, sampleTimeMs, type StatsJson, type StatsRow, statsRow } from "./stats_math.ts";

export type SeriesEvent =
  | { kind: "row"; timeMs: number; row: StatsRow }
  | { kind: "gap"; timeMs: number; reason: string };

export type SeriesState = "starting" | "running" | "gap";

export class ContainerSeries {
  private baseline: StatsJson | undefined;
  private baselineMs = 0;
  private gapOpen = false;
  state: SeriesState = "starting";
  latest: StatsRow | undefined;
  gapReason = "";

  constructor(private readonly intervalMs: number) {}

  /** Samples closer together than this count as one interval (the daemon sends one every ~1 s). */
  private get toleranceMs(): number {
    return Math.min(500, this.intervalMs / 2);
  }

  onSample(sample: StatsJson, nowMs: number = Date.now()): SeriesEvent[] {
    if (isNotRunningSample(sample)) return this.gap(nowMs, "stopped");
    const timeMs = sampleTimeMs(sample);
    const previous = this.baseline;
    const totalNow = sample.cpu_stats?.cpu_usage?.total_usage ?? 0;
    const totalBefore = previous?.cpu_stats?.cpu_usage?.total_usage ?? 0;
    if (previous && totalNow < totalBefore) {
      const events = this.gap(timeMs, "restarted");
      this.setBaseline(sample, timeMs);
      return events;
    }
    if (!previous) {
      this.setBaseline(sample, timeMs);
      return [];
    }
    if (timeMs - this.baselineMs < this.intervalMs - this.toleranceMs) return [];
    const row = statsRow(sample, previous);
    this.setBaseline(sample, timeMs);
    this.gapOpen = false;
    this.state = "running";
    this.latest = row;
    return [{ kind: "row", timeMs, row }];
  }

  /** The stream ended or failed: a gap (once), and the next sample starts a new baseline. */
  onDetached(nowMs: number = Date.now(), reason = "detached"): SeriesEvent[] {
    return this.gap(nowMs, reason);
  }

  private setBaseline(sample: StatsJson, timeMs: number): void {
    this.baseline = sample;
    this.baselineMs = timeMs;
  }

  private gap(timeMs: number, reason: string): SeriesEvent[] {
    this.baseline = undefined;
    this.state = "gap";
    this.gapReason = reason;
    if (this.gapOpen) return [];
    this.gapOpen = true;
    return [{ kind: "gap", timeMs, reason }];
  }
}
