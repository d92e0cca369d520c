/** Turn the engine's accumulators into the RunSummary (summary_types.ts) and its interval rows. */
import type { LoginOutcome } from "../engine/types.ts";
import type { EngineResult, IntervalReport } from "../engine/engine.ts";
import type { EndpointSpec } from "../engine/targets.ts";
import { encodeHistogram, maxMs, percentileMs, round3 } from "../engine/histogram.ts";
import { redactUrl } from "../util/redact.ts";
import { failureReason, groupLoginFailures } from "../moodle/login_phase.ts";
import {
  type EndpointSummary,
  type IntervalSummary,
  type LoginSummary,
  type RunSummary,
  SUMMARY_SCHEMA_VERSION,
} from "./summary_types.ts";
import type { JourneySummary } from "./journeys.ts";

/** Fields added beside the contract's (additive; readers may ignore them). */
export interface RunSummaryExtras {
  /** Measured requests sent. */
  sent: number;
  /** Sent, but no answer before the grace period ended (also in failures, as errors.abandoned). */
  abandoned: number;
  /** Seconds spent waiting for in-flight requests after scheduling stopped. */
  drain_sec: number;
  /** A request counts as late when sent more than this after its intended start. */
  late_bound_ms: number;
  max_in_flight: number;
  users: number;
  /** More concurrency than users: the users, not the cap, bound in-flight requests. */
  user_bound: boolean;
  /** The rate curve: `constant`, `stages` or a profile name. */
  schedule: { kind: string; segments: { duration_sec: number; start_rpm: number; end_rpm: number }[] };
  warmup: { total: number; success: number; failures: number; not_sent: number };
  relogin_failures: number;
  /** Journey runs: one entry per journey (the steps are the endpoints, named journey/step). */
  journeys?: JourneySummary[];
  /** Scheduler lateness (send − t_i) of measured requests, µs: merges add it exactly. */
  lateness_histogram?: string;
  /** Shard `index` of `count` (0/1 for a run that is not sharded): docs/distributed.md. */
  shard?: { index: number; count: number };
  /** sha-256 of what shapes the request sequence: rate curve, warm-up, seed, URLs, parameters. */
  schedule_hash?: string;
  /** The agreed `--start-at` (ISO), when one was given. */
  start_at?: string;
  /** `merge --allow-partial` of fewer shards than the run had. */
  partial?: boolean;
  /** A merged run: the shards it was made of. */
  merged_from?: { count: number; shards: number[]; files: string[] };
}

/** The fields a run records about its shard (run --shard; merge). */
export type ShardSummaryFields = Pick<RunSummaryExtras, "shard" | "schedule_hash" | "start_at">;

export type FullRunSummary = RunSummary & RunSummaryExtras;

export function summarizeLogins(outcomes: readonly LoginOutcome[], relogins: number): LoginSummary {
  const failed = outcomes.filter((o) => !o.ok).map((outcome) => ({
    username: outcome.username,
    reason: failureReason(outcome),
    ...(outcome.detail ? { detail: outcome.detail } : {}),
  }));
  return {
    attempted: outcomes.length,
    logged_in: outcomes.filter((o) => o.ok).length,
    relogins,
    by_reason: Object.fromEntries(groupLoginFailures(outcomes).map((group) => [group.reason, group.count])),
    failed,
  };
}

/** An interval row; the drain row (answers after scheduling stopped) carries `drain: true`. */
export function intervalSummary(report: IntervalReport): IntervalSummary & { drain?: boolean } {
  const stats = report.stats;
  return {
    t_sec: round3(report.tSec),
    epoch_ms: Math.round(report.epochMs),
    interval_sec: round3(report.intervalSec),
    warmup: report.warmup,
    target_rpm: round3(report.targetRpm),
    observed_rpm: round3(stats.total * 60 / report.intervalSec),
    in_flight: report.inFlight,
    late: report.late,
    backlog: report.backlog,
    ...stats.counts(),
    ...stats.percentiles(),
    histogram: encodeHistogram(stats.latency),
    service_histogram: encodeHistogram(stats.service),
    ...(report.drain ? { drain: true } : {}),
  };
}

export interface SummaryMeta {
  version: string;
  baseUrl: string;
  seed: number;
  durationSec: number;
  warmupSec: number;
  concurrency: number;
  users: number;
  lateBoundMs: number;
  schedule: RunSummaryExtras["schedule"];
  logins: readonly LoginOutcome[];
  endpoints: readonly EndpointSpec[];
  intervals: IntervalSummary[];
}

/** Requests per minute over the measured window (summary and merge: one rule). */
export function perMinuteOver(count: number, elapsedSec: number): number {
  return elapsedSec > 0 ? round3(count * 60 / elapsedSec) : 0;
}

/** Failures over requests, to 1e-9 (summary and merge: one rule). */
export function errorRate(counts: { total: number; failures: number }): number {
  return counts.total ? round3(counts.failures / counts.total * 1e6) / 1e6 : 0;
}

/** One row per endpoint (or journey step), in the config's order, with its histograms. */
function endpointSummaries(result: EngineResult, meta: SummaryMeta): EndpointSummary[] {
  return result.endpoints.map((stats, k) => {
    const spec = meta.endpoints[k];
    const perf = stats.perf?.summary();
    return {
      name: spec.name,
      path: spec.path,
      ...stats.counts(),
      ...stats.percentiles(),
      req_per_min_observed: perMinuteOver(stats.total, result.elapsedSec),
      histogram: encodeHistogram(stats.latency),
      service_histogram: encodeHistogram(stats.service),
      ...(perf ? { moodle_perf: perf } : {}),
    };
  });
}

/** Long because it is the file format: one line per key of the summary JSON, in the order written. */
export function buildRunSummary(result: EngineResult, meta: SummaryMeta): FullRunSummary {
  const overall = result.overall;
  const counts = overall.counts();
  const elapsed = result.elapsedSec;
  const perMinute = (n: number) => perMinuteOver(n, elapsed);
  const endpoints = endpointSummaries(result, meta);
  const perf = overall.perf?.summary();
  const warmupCounts = result.warmup.counts();
  return {
    tool: "moodle-load",
    version: meta.version,
    schema_version: SUMMARY_SCHEMA_VERSION,
    started_at: new Date(result.startEpochMs).toISOString(),
    ended_at: new Date(result.endEpochMs).toISOString(),
    base_url: redactUrl(meta.baseUrl),
    seed: meta.seed,
    elapsed_sec: round3(elapsed),
    duration_sec: meta.durationSec,
    warmup_sec: meta.warmupSec,
    concurrency: meta.concurrency,
    target_rpm: round3(result.targetRpm),
    req_per_min_observed: perMinute(overall.total),
    error_rate: errorRate(counts),
    late: result.late,
    not_sent: result.notSent,
    scheduler_lateness_ms: {
      p50: percentileMs(result.lateness, 50),
      p99: percentileMs(result.lateness, 99),
      max: maxMs(result.lateness),
    },
    generator_stalls: result.stalls,
    interrupted: result.interrupted,
    login: summarizeLogins(meta.logins, result.relogins),
    ...counts,
    ...overall.percentiles(),
    endpoints,
    intervals: meta.intervals,
    ...(result.timeline.length ? { timeline: result.timeline } : {}),
    histograms: { latency: encodeHistogram(overall.latency), service: encodeHistogram(overall.service) },
    ...(perf ? { moodle_perf: perf } : {}),
    sent: result.sent,
    abandoned: result.abandoned,
    drain_sec: round3(result.drainSec),
    late_bound_ms: meta.lateBoundMs,
    max_in_flight: result.maxInFlight,
    users: meta.users,
    user_bound: meta.concurrency > meta.users,
    schedule: meta.schedule,
    warmup: {
      total: warmupCounts.total,
      success: warmupCounts.success,
      failures: warmupCounts.failures,
      not_sent: result.warmupNotSent,
    },
    relogin_failures: result.reloginFailures,
    lateness_histogram: encodeHistogram(result.lateness),
  };
}
