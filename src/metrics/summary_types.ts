/**
 * The JSON summary of a run (`load_summary_<ts>.json`), the format every later command reads
 * (report, compare, bisect, thresholds). Keys are snake_case; the seed tool's keys are kept.
 * Histograms are hdr-histogram-js `encodeIntoCompressedBase64` strings of values in MICROSECONDS.
 */

export const SUMMARY_SCHEMA_VERSION = 1;

export interface Percentiles {
  latency_ms_p50: number;
  latency_ms_p90: number;
  latency_ms_p95: number;
  latency_ms_p99: number;
  latency_ms_max: number;
  latency_ms_mean: number;
  service_ms_p50: number;
  service_ms_p95: number;
  service_ms_p99: number;
}

export interface Counts {
  total: number;
  success: number;
  failures: number;
  bytes: number;
  /** HTTP status → count ("0" for no response). */
  status_codes: Record<string, number>;
  /** ErrorClass → count. */
  errors: Record<string, number>;
}

/** Aggregated Moodle performance footer figures (only pages that carried one). */
export interface PerfAggregate {
  pages: number;
  time_used_ms_mean?: number;
  time_used_ms_p95?: number;
  db_reads_mean?: number;
  db_writes_mean?: number;
  db_time_ms_mean?: number;
  memory_peak_bytes_mean?: number;
  included_files_mean?: number;
  session_wait_ms_mean?: number;
}

export interface EndpointSummary extends Counts, Percentiles {
  name: string;
  path: string;
  req_per_min_observed: number;
  /** Latency from intended start. */
  histogram: string;
  /** Service time from actual send. */
  service_histogram: string;
  moodle_perf?: PerfAggregate;
}

export interface IntervalSummary extends Counts, Percentiles {
  /** Seconds since the measured phase began, at the end of this interval. */
  t_sec: number;
  /** Epoch ms at the end of the interval. */
  epoch_ms: number;
  interval_sec: number;
  /** True for intervals inside the warm-up (excluded from the totals). */
  warmup: boolean;
  target_rpm: number;
  observed_rpm: number;
  in_flight: number;
  late: number;
  not_sent: number;
}

export interface LoginSummary {
  attempted: number;
  logged_in: number;
  /** Re-logins after session loss during the run. */
  relogins: number;
  by_reason: Record<string, number>;
  failed: { username: string; reason: string; detail?: string }[];
}

export interface RunSummary extends Counts, Percentiles {
  tool: "moodle-load";
  version: string;
  schema_version: number;
  started_at: string;
  ended_at: string;
  base_url: string;
  seed: number;
  /** Measured phase only (warm-up excluded). */
  elapsed_sec: number;
  duration_sec: number;
  warmup_sec: number;
  concurrency: number;
  /** Mean target rate over the measured phase. */
  target_rpm: number;
  req_per_min_observed: number;
  error_rate: number;
  late: number;
  not_sent: number;
  scheduler_lateness_ms: { p50: number; p99: number; max: number };
  interrupted: boolean;
  login: LoginSummary;
  endpoints: EndpointSummary[];
  intervals: IntervalSummary[];
  histograms: { latency: string; service: string };
  moodle_perf?: PerfAggregate;
}
