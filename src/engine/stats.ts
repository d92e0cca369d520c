/**
 * One accumulator of request outcomes: counts by status and error class, bytes, the two HDR
 * histograms (latency from intended start, service time from actual send) and, optionally, Moodle's
 * performance-footer figures. Used overall, per endpoint and per progress interval (reset each time).
 */
import { ERROR_CLASSES, type ErrorClass, type MoodlePerf } from "./types.ts";
import type { Counts, Percentiles, PerfAggregate } from "./figures.ts";
import { type Histogram, maxMs, meanMs, newHistogram, percentileMs, recordUs, round3 } from "./histogram.ts";

export const ERROR_INDEX: Readonly<Record<ErrorClass, number>> = Object.fromEntries(
  ERROR_CLASSES.map((name, index) => [name, index]),
) as Record<ErrorClass, number>;

const PERF_FIELDS = [
  "timeUsedSec",
  "dbReads",
  "dbWrites",
  "dbTimeSec",
  "memoryPeakBytes",
  "includedFiles",
  "sessionWaitSec",
] as const;

/** Sums of the performance footer; only pages that carried one count. */
export class PerfAccumulator {
  pages = 0;
  readonly sums = new Float64Array(PERF_FIELDS.length);
  readonly counts = new Float64Array(PERF_FIELDS.length);
  readonly timeUsed: Histogram = newHistogram();

  record(perf: MoodlePerf): void {
    this.pages++;
    for (let f = 0; f < PERF_FIELDS.length; f++) {
      const value = perf[PERF_FIELDS[f]];
      if (typeof value === "number" && Number.isFinite(value)) {
        this.sums[f] += value;
        this.counts[f]++;
      }
    }
    if (typeof perf.timeUsedSec === "number") recordUs(this.timeUsed, perf.timeUsedSec * 1e6);
  }

  private mean(field: typeof PERF_FIELDS[number], scale = 1): number | undefined {
    const f = PERF_FIELDS.indexOf(field);
    return this.counts[f] ? round3(this.sums[f] / this.counts[f] * scale) : undefined;
  }

  summary(): PerfAggregate | undefined {
    if (this.pages === 0) return undefined;
    const out: PerfAggregate = {
      pages: this.pages,
      time_used_ms_mean: this.mean("timeUsedSec", 1000),
      time_used_ms_p95: this.timeUsed.totalCount ? percentileMs(this.timeUsed, 95) : undefined,
      db_reads_mean: this.mean("dbReads"),
      db_writes_mean: this.mean("dbWrites"),
      db_time_ms_mean: this.mean("dbTimeSec", 1000),
      memory_peak_bytes_mean: this.mean("memoryPeakBytes"),
      included_files_mean: this.mean("includedFiles"),
      session_wait_ms_mean: this.mean("sessionWaitSec", 1000),
    };
    for (const key of Object.keys(out) as (keyof PerfAggregate)[]) {
      if (out[key] === undefined) delete out[key];
    }
    return out;
  }
}

export class Stats {
  total = 0;
  success = 0;
  failures = 0;
  bytes = 0;
  wireBytes = 0;
  readonly latency: Histogram = newHistogram();
  readonly service: Histogram = newHistogram();
  /** status → count, as a sparse array (statuses are small integers). */
  private statuses: number[] = [];
  readonly errors = new Float64Array(ERROR_CLASSES.length);
  readonly perf?: PerfAccumulator;

  constructor(withPerf = false) {
    if (withPerf) this.perf = new PerfAccumulator();
  }

  /** `errorIndex` is an index into ERROR_CLASSES, or -1 for a success. */
  record(
    latencyUs: number,
    serviceUs: number,
    status: number,
    bytes: number,
    errorIndex: number,
    perf: MoodlePerf | undefined,
    wireBytes = bytes,
  ): void {
    this.total++;
    if (errorIndex < 0) this.success++;
    else {
      this.failures++;
      this.errors[errorIndex]++;
    }
    this.bytes += bytes;
    this.wireBytes += wireBytes;
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    recordUs(this.latency, latencyUs);
    recordUs(this.service, serviceUs);
    if (perf && this.perf) this.perf.record(perf);
  }

  reset(): void {
    this.total =
      this.success =
      this.failures =
      this.bytes =
      this.wireBytes =
        0;
    this.latency.reset();
    this.service.reset();
    this.statuses = [];
    this.errors.fill(0);
  }

  counts(): Counts {
    const status_codes: Record<string, number> = {};
    this.statuses.forEach((count, status) => {
      if (count) status_codes[String(status)] = count;
    });
    const errors: Record<string, number> = {};
    this.errors.forEach((count, index) => {
      if (count) errors[ERROR_CLASSES[index]] = count;
    });
    return {
      total: this.total,
      success: this.success,
      failures: this.failures,
      bytes: this.bytes,
      wire_bytes: this.wireBytes,
      status_codes,
      errors,
    };
  }

  percentiles(): Percentiles {
    return {
      latency_ms_p50: percentileMs(this.latency, 50),
      latency_ms_p90: percentileMs(this.latency, 90),
      latency_ms_p95: percentileMs(this.latency, 95),
      latency_ms_p99: percentileMs(this.latency, 99),
      latency_ms_max: maxMs(this.latency),
      latency_ms_mean: meanMs(this.latency),
      service_ms_p50: percentileMs(this.service, 50),
      service_ms_p95: percentileMs(this.service, 95),
      service_ms_p99: percentileMs(this.service, 99),
    };
  }
}
