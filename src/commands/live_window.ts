/**
 * The live view's "last N seconds": answers fed one by one (the engine's request hook) into one HDR
 * histogram per second of a small ring, so the window's percentiles are exact to HDR's resolution and
 * move every second, while memory stays bounded (N histograms, reused). A second is placed by when
 * the answer came in on the engine's run clock (intended start + latency), so no wall clock is read.
 */
import type { RequestLogEntry } from "../engine/engine.ts";
import { type Histogram, maxMs, newHistogram, percentileMs } from "../engine/histogram.ts";

export interface WindowFigures {
  /** Seconds the window spans (fewer at the start of the run). */
  spanSec: number;
  total: number;
  failures: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export class RecentWindow {
  private readonly histograms: Histogram[];
  private readonly seconds: number[];
  private readonly totals: number[];
  private readonly failures: number[];
  private readonly merged = newHistogram();

  constructor(readonly windowSec = 10) {
    this.histograms = Array.from({ length: windowSec }, () => newHistogram());
    this.seconds = new Array(windowSec).fill(-1);
    this.totals = new Array(windowSec).fill(0);
    this.failures = new Array(windowSec).fill(0);
  }

  /** One answer (hot path: one histogram record and two counters). */
  record(entry: RequestLogEntry): void {
    const second = Math.floor((entry.intended_ms + entry.latency_ms) / 1000);
    const slot = second % this.windowSec;
    if (this.seconds[slot] !== second) {
      if (this.seconds[slot] > second) return; // older than the window: already out of it
      this.seconds[slot] = second;
      this.histograms[slot].reset();
      this.totals[slot] = 0;
      this.failures[slot] = 0;
    }
    this.histograms[slot].recordValue(Math.max(0, Math.round(entry.latency_ms * 1000)));
    this.totals[slot]++;
    if (!entry.ok) this.failures[slot]++;
  }

  /** The seconds in (endSec − windowSec, endSec], `endSec` counted from the run's start. */
  figures(endSec: number): WindowFigures {
    this.merged.reset();
    let total = 0;
    let failures = 0;
    const last = Math.ceil(endSec) - 1;
    for (let slot = 0; slot < this.windowSec; slot++) {
      const second = this.seconds[slot];
      if (second < 0 || second > last || second <= last - this.windowSec) continue;
      this.merged.add(this.histograms[slot]);
      total += this.totals[slot];
      failures += this.failures[slot];
    }
    return {
      spanSec: Math.min(this.windowSec, Math.max(1, Math.ceil(endSec))),
      total,
      failures,
      p50Ms: percentileMs(this.merged, 50),
      p95Ms: percentileMs(this.merged, 95),
      p99Ms: percentileMs(this.merged, 99),
      maxMs: maxMs(this.merged),
    };
  }
}
