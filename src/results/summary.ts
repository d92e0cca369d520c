/** Turn the engine's accumulators into the RunSummary (summary_types.ts) and its interval rows. */
import type { LoginOutcome } from "../engine/types.ts";
import type { EngineResult, IntervalReport } from "../engine/engine.ts";
import type { EndpointSpec } from "../engine/targets.ts";
import { encodeHistogram, maxMs, percentileMs, round3 } from "../engine/histogram.ts";
import {
  type EndpointSummary,
  type IntervalSummary,
  type LoginSummary,
  type RunSummary,
  SUMMARY_SCHEMA_VERSION,
} from "./summary_types.ts";

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
}

export type FullRunSummary = RunSummary & RunSummaryExtras;

export function summarizeLogins(outcomes: readonly LoginOutcome[], relogins: number): LoginSummary {
  const by_reason: Record<string, number> = {};
  const failed: LoginSummary["failed"] = [];
  for (const outcome of outcomes) {
    if (outcome.ok) continue;
    const reason = outcome.reason ?? "unexpected_page";
    by_reason[reason] = (by_reason[reason] ?? 0) + 1;
    failed.push({
      username: outcome.username,
      reason,
      ...(outcome.detail ? { detail: outcome.detail } : {}),
    });
  }
  return {
    attempted: outcomes.length,
    logged_in: outcomes.filter((o) => o.ok).length,
    relogins,
    by_reason,
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

export function buildRunSummary(result: EngineResult, meta: SummaryMeta): FullRunSummary {
  const overall = result.overall;
  const counts = overall.counts();
  const elapsed = result.elapsedSec;
  const perMinute = (n: number) => (elapsed > 0 ? round3(n * 60 / elapsed) : 0);
  const endpoints: EndpointSummary[] = result.endpoints.map((stats, k) => {
    const spec = meta.endpoints[k];
    const perf = stats.perf?.summary();
    return {
      name: spec.name,
      path: spec.path,
      ...stats.counts(),
      ...stats.percentiles(),
      req_per_min_observed: perMinute(stats.total),
      histogram: encodeHistogram(stats.latency),
      service_histogram: encodeHistogram(stats.service),
      ...(perf ? { moodle_perf: perf } : {}),
    };
  });
  const perf = overall.perf?.summary();
  const warmupCounts = result.warmup.counts();
  return {
    tool: "moodle-load",
    version: meta.version,
    schema_version: SUMMARY_SCHEMA_VERSION,
    started_at: new Date(result.startEpochMs).toISOString(),
    ended_at: new Date(result.endEpochMs).toISOString(),
    base_url: meta.baseUrl,
    seed: meta.seed,
    elapsed_sec: round3(elapsed),
    duration_sec: meta.durationSec,
    warmup_sec: meta.warmupSec,
    concurrency: meta.concurrency,
    target_rpm: round3(result.targetRpm),
    req_per_min_observed: perMinute(overall.total),
    error_rate: counts.total ? round3(counts.failures / counts.total * 1e6) / 1e6 : 0,
    late: result.late,
    not_sent: result.notSent,
    scheduler_lateness_ms: {
      p50: percentileMs(result.lateness, 50),
      p99: percentileMs(result.lateness, 99),
      max: maxMs(result.lateness),
    },
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
  };
}
