/**
 * The figures a `Stats` produces, named as the summary file stores them (snake_case keys, units in
 * names): the results layer writes them unchanged, so they are defined here, below it.
 */

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
  /** Body bytes received, decoded (what the pages weigh). */
  bytes: number;
  /** Body bytes as they came over the wire (compressed); absent in older summaries. */
  wire_bytes?: number;
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
