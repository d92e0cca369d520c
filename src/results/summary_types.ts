/**
 * The JSON summary of a run (`load_summary_<ts>.json`), the format every later command reads
 * (report, compare, bisect, thresholds). Keys are snake_case; the original Python tool's keys are kept.
 * Histograms are hdr-histogram-js `encodeIntoCompressedBase64` strings of values in MICROSECONDS.
 */

export const SUMMARY_SCHEMA_VERSION = 1;

import type { StallSummary } from "../engine/stalls.ts";
import type { Counts, Percentiles, PerfAggregate } from "../engine/figures.ts";
import type { TimelinePoint } from "../engine/timeline.ts";
export type { Counts, Percentiles, PerfAggregate, TimelinePoint };

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
  /**
   * Due but not sent yet at the end of the interval (the scheduler's backlog). Not the run's
   * `not_sent` (never sent at all); older summaries named this field `not_sent` as well.
   */
  backlog: number;
  /** The interval's latency and service-time histograms (µs), so shards' intervals merge exactly. */
  histogram?: string;
  service_histogram?: string;
}

export interface LoginSummary {
  attempted: number;
  logged_in: number;
  /** Re-logins after session loss (or a journey's logout step) during the run. */
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
  /**
   * moodle-load's own event-loop stalls (GC pauses, its own work) of 10 ms or more: answers read then
   * were read late. Absent in summaries written before it existed.
   */
  generator_stalls?: StallSummary;
  interrupted: boolean;
  login: LoginSummary;
  endpoints: EndpointSummary[];
  intervals: IntervalSummary[];
  /**
   * One point per second of the run whatever `--progress` was (warm-up seconds included, marked);
   * absent in summaries written before it existed (the report then draws from `intervals`).
   */
  timeline?: TimelinePoint[];
  histograms: { latency: string; service: string };
  moodle_perf?: PerfAggregate;
  /** Measured failures per error class, then per reason (see error_reasons.ts); absent when none. */
  error_reasons?: Record<string, Record<string, number>>;
  /**
   * For each row of `error_reasons` (class, reason): the first measured request that failed so, as
   * `{ endpoint, url }` (path and query, secrets `***`: error_reasons.ts). Absent in older summaries.
   */
  error_examples?: Record<string, Record<string, { endpoint: string; url: string }>>;
  /** What the run ran against (absent in summaries written before it existed): run_metadata.ts. */
  metadata?: RunMetadata;
}

/**
 * What a run ran against, so `compare` can say when two runs differ in more than the code under
 * test. Every value is null when it could not be read (never guessed); `*_source` says where a value
 * came from. What a real Moodle exposes is in docs/moodle-protocol.md ("What the site tells about itself").
 */
export interface RunMetadata {
  /** Moodle's `$release`, e.g. "4.3 (Build: 20231009)" (the `release` row of mdl_config). */
  moodle_release: string | null;
  /** Moodle's `$version`, e.g. "2023100900". */
  moodle_version: string | null;
  moodle_source: "database" | "none";
  /** PHP version from the site's X-Powered-By header (most production sites hide it). */
  php_version: string | null;
  /** `SHOW server_version` of the Moodle database. */
  postgres_version: string | null;
  /** The git commit checked out in the working directory the run was started from. */
  code_commit: string | null;
  /** `--tag` (bench, run). */
  tag: string | null;
  /** sha-256 of the config file's bytes (as bench's manifest states it). */
  config_hash: string | null;
  /** sha-256 of what shapes the request sequence (the same as `schedule_hash`). */
  schedule_hash: string | null;
}
