/**
 * RunSummary fixtures built exactly the way `run` builds them: latencies sampled from a seeded
 * distribution are recorded into the engine's own accumulators (src/engine/stats.ts: HDR histograms
 * in microseconds, clamped and rounded as the engine does), per endpoint, per interval and overall,
 * then turned into the summary by src/results/summary.ts (`buildRunSummary`, `intervalSummary`). So
 * compare/report/thresholds/bisect tests read summaries the engine could have written.
 */
import type { PerfAggregate, RunSummary } from "../../src/results/summary_types.ts";
import type { MoodlePerf } from "../../src/engine/types.ts";
import type { EngineResult, IntervalReport } from "../../src/engine/engine.ts";
import { LATE_BOUND_MS } from "../../src/engine/engine.ts";
import type { EndpointSpec as TargetEndpoint } from "../../src/engine/targets.ts";
import { ERROR_INDEX, Stats } from "../../src/engine/stats.ts";
import { newHistogram, recordUs } from "../../src/engine/histogram.ts";
import { buildRunSummary, intervalSummary } from "../../src/results/summary.ts";
import { normal } from "../../src/compare/random.ts";
import { seededRandom } from "../../src/util/random.ts";

export interface EndpointSpec {
  name: string;
  path?: string;
  /** Median latency in ms (log-normal). */
  medianMs: number;
  /** Log-normal shape (default 0.5). */
  sigma?: number;
  /** Share of the requests (default 1). */
  weight?: number;
  /** Probability that a request fails, and with which class (default http_5xx). */
  errorRate?: number;
  errorClass?: string;
  perf?: PerfAggregate;
  /** Multiply latency by this after `slowAfterSec` (a run that degrades). */
  slowdown?: { afterSec: number; factor: number };
}

export interface RunSpec {
  endpoints: EndpointSpec[];
  targetRpm: number;
  durationSec: number;
  warmupSec?: number;
  intervalSec?: number;
  seed: number;
  /** Fraction of the target actually delivered (default 1). */
  achieved?: number;
  startedAtMs?: number;
  baseUrl?: string;
}

/** The per-request performance footer whose means are `perf` (what the engine would have parsed). */
function footerOf(perf: PerfAggregate): MoodlePerf {
  const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
  return {
    timeUsedSec: seconds(perf.time_used_ms_mean),
    dbReads: perf.db_reads_mean,
    dbWrites: perf.db_writes_mean,
    dbTimeSec: seconds(perf.db_time_ms_mean),
    memoryPeakBytes: perf.memory_peak_bytes_mean,
    includedFiles: perf.included_files_mean,
    sessionWaitSec: seconds(perf.session_wait_ms_mean),
  };
}

/** Status and error index of one request (the classes the engine gives these failures). */
function outcomeOf(error: string | undefined): { status: number; errorIndex: number } {
  if (!error) return { status: 200, errorIndex: -1 };
  const status = error === "timeout" ? 0 : error === "http_4xx" ? 404 : 503;
  return { status, errorIndex: ERROR_INDEX[error as keyof typeof ERROR_INDEX] ?? ERROR_INDEX.other };
}

const BYTES_PER_PAGE = 150_000;

/** The interval rows, as the engine reports them at the end of each interval. */
function intervalRows(
  perInterval: Stats[],
  spec: RunSpec,
  intervalSec: number,
  warmupSec: number,
  startedAtMs: number,
  random: () => number,
): RunSummary["intervals"] {
  const runSec = warmupSec + spec.durationSec;
  return perInterval.map((stats, index) => {
    const endSec = (index + 1) * intervalSec;
    const report: IntervalReport = {
      tSec: endSec - warmupSec,
      epochMs: startedAtMs + endSec * 1000,
      intervalSec,
      warmup: endSec <= warmupSec,
      drain: false,
      fraction: Math.min(1, endSec / runSec),
      stats,
      targetRpm: spec.targetRpm,
      inFlight: Math.round(random() * 5),
      late: 0,
      backlog: 0,
      cumulative: { total: 0, success: 0, failures: 0, late: 0, sent: 0 },
    };
    return intervalSummary(report);
  });
}

export function makeRunSummary(spec: RunSpec): RunSummary {
  const random = seededRandom(spec.seed);
  const intervalSec = spec.intervalSec ?? 5;
  const warmupSec = spec.warmupSec ?? 0;
  const achieved = spec.achieved ?? 1;
  const startedAtMs = spec.startedAtMs ?? Date.UTC(2026, 10, 21, 5, 0, 0);
  const measuredStartMs = startedAtMs + warmupSec * 1000;
  const weights = spec.endpoints.map((e) => e.weight ?? 1);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const footers = spec.endpoints.map((e) => (e.perf ? footerOf(e.perf) : undefined));
  const overall = new Stats(true);
  const warmup = new Stats();
  const perEndpoint = spec.endpoints.map(() => new Stats(true));
  const lateness = newHistogram();
  const intervalCount = Math.ceil((warmupSec + spec.durationSec) / intervalSec);
  const perInterval = Array.from({ length: intervalCount }, () => new Stats());

  const rps = (spec.targetRpm / 60) * achieved;
  const totalRequests = Math.floor(rps * (warmupSec + spec.durationSec));
  for (let i = 0; i < totalRequests; i++) {
    const tSec = i / rps;
    let pick = random() * weightSum;
    let index = 0;
    while (pick >= weights[index] && index < weights.length - 1) pick -= weights[index++];
    const endpoint = spec.endpoints[index];
    let latencyMs = endpoint.medianMs * Math.exp((endpoint.sigma ?? 0.5) * normal(random));
    const measuredT = tSec - warmupSec;
    if (endpoint.slowdown && measuredT >= endpoint.slowdown.afterSec) latencyMs *= endpoint.slowdown.factor;
    const serviceMs = latencyMs * (0.85 + 0.1 * random());
    const failed = random() < (endpoint.errorRate ?? 0);
    const { status, errorIndex } = outcomeOf(failed ? endpoint.errorClass ?? "http_5xx" : undefined);
    const latencyUs = latencyMs * 1000;
    const serviceUs = serviceMs * 1000;
    const bytes = BYTES_PER_PAGE;
    const perf = failed ? undefined : footers[index];
    perInterval[Math.min(intervalCount - 1, Math.floor(tSec / intervalSec))]
      .record(latencyUs, serviceUs, status, bytes, errorIndex, undefined);
    if (measuredT < 0) {
      warmup.record(latencyUs, serviceUs, status, bytes, errorIndex, undefined);
      continue;
    }
    recordUs(lateness, (latencyMs - serviceMs) * 1000);
    overall.record(latencyUs, serviceUs, status, bytes, errorIndex, perf);
    perEndpoint[index].record(latencyUs, serviceUs, status, bytes, errorIndex, perf);
  }

  const result: EngineResult = {
    overall,
    endpoints: perEndpoint,
    warmup,
    sent: overall.total,
    late: 0,
    notSent: Math.max(0, Math.round((1 - achieved) * spec.targetRpm / 60 * spec.durationSec)),
    warmupNotSent: 0,
    abandoned: 0,
    lateness,
    relogins: 0,
    reloginFailures: 0,
    retiredUsers: [],
    elapsedSec: spec.durationSec,
    drainSec: 0,
    startEpochMs: startedAtMs,
    measuredStartEpochMs: measuredStartMs,
    endEpochMs: measuredStartMs + spec.durationSec * 1000,
    interrupted: false,
    targetRpm: spec.targetRpm,
    maxInFlight: 5,
    timeline: [],
    stalls: { max_ms: 0, count: 0, total_ms: 0 },
  };
  const endpoints: TargetEndpoint[] = spec.endpoints.map((endpoint, index) => {
    const path = endpoint.path ?? `/${endpoint.name}.php?id={id}`;
    return { name: endpoint.name, path, weight: weights[index], parts: [path], params: [] };
  });
  const users = 5;
  return buildRunSummary(result, {
    version: "0.1.0",
    baseUrl: spec.baseUrl ?? "http://127.0.0.1:8080",
    seed: spec.seed,
    durationSec: spec.durationSec,
    warmupSec,
    concurrency: 20,
    users,
    lateBoundMs: LATE_BOUND_MS,
    schedule: {
      kind: "constant",
      segments: [{ duration_sec: spec.durationSec, start_rpm: spec.targetRpm, end_rpm: spec.targetRpm }],
    },
    logins: Array.from({ length: users }, (_, u) => ({
      ok: true,
      username: `student${u + 1}`,
      attempts: 1,
      durationMs: 40,
    })),
    endpoints,
    intervals: intervalRows(perInterval, spec, intervalSec, warmupSec, startedAtMs, random),
  });
}

/** A typical three-endpoint Moodle mix. */
export function moodleMix(overrides: Partial<Record<string, Partial<EndpointSpec>>> = {}): EndpointSpec[] {
  const base: EndpointSpec[] = [
    { name: "course_view", path: "/course/view.php?id={course}", medianMs: 180, weight: 3 },
    { name: "forum_view", path: "/mod/forum/view.php?id={forum}", medianMs: 120, weight: 2 },
    { name: "dashboard", path: "/my/", medianMs: 90, weight: 1 },
  ];
  return base.map((e) => ({ ...e, ...overrides[e.name] }));
}
