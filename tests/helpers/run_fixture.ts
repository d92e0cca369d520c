/**
 * RunSummary fixtures built the way the engine builds them: latencies sampled from a seeded
 * distribution and recorded into real hdr-histogram-js histograms (microseconds), serialized with
 * encodeIntoCompressedBase64, per endpoint, per interval and overall.
 */
import * as hdr from "hdr-histogram-js";
import type {
  Counts,
  EndpointSummary,
  IntervalSummary,
  Percentiles,
  PerfAggregate,
  RunSummary,
} from "../../src/results/summary_types.ts";
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

function newHistogram() {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

type Histogram = ReturnType<typeof newHistogram>;

interface Acc {
  latency: Histogram;
  service: Histogram;
  counts: Counts;
}

function newAcc(): Acc {
  return {
    latency: newHistogram(),
    service: newHistogram(),
    counts: { total: 0, success: 0, failures: 0, bytes: 0, status_codes: {}, errors: {} },
  };
}

function record(acc: Acc, latencyUs: number, serviceUs: number, error: string | undefined, status: number) {
  acc.latency.recordValue(latencyUs);
  acc.service.recordValue(serviceUs);
  acc.counts.total++;
  acc.counts.bytes += 150_000;
  acc.counts.status_codes[String(status)] = (acc.counts.status_codes[String(status)] ?? 0) + 1;
  if (error) {
    acc.counts.failures++;
    acc.counts.errors[error] = (acc.counts.errors[error] ?? 0) + 1;
  } else acc.counts.success++;
}

function percentiles(acc: Acc): Percentiles {
  const ms = (h: Histogram, p: number) => (h.totalCount ? h.getValueAtPercentile(p) / 1000 : 0);
  return {
    latency_ms_p50: ms(acc.latency, 50),
    latency_ms_p90: ms(acc.latency, 90),
    latency_ms_p95: ms(acc.latency, 95),
    latency_ms_p99: ms(acc.latency, 99),
    latency_ms_max: acc.latency.totalCount ? acc.latency.maxValue / 1000 : 0,
    latency_ms_mean: acc.latency.totalCount ? acc.latency.mean / 1000 : 0,
    service_ms_p50: ms(acc.service, 50),
    service_ms_p95: ms(acc.service, 95),
    service_ms_p99: ms(acc.service, 99),
  };
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
  const overall = newAcc();
  const perEndpoint = spec.endpoints.map(() => newAcc());
  const intervalCount = Math.ceil((warmupSec + spec.durationSec) / intervalSec);
  const perInterval = Array.from({ length: intervalCount }, () => newAcc());

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
    const error = failed ? endpoint.errorClass ?? "http_5xx" : undefined;
    const status = failed ? (error === "timeout" ? 0 : error === "http_4xx" ? 404 : 503) : 200;
    const latencyUs = Math.max(1, Math.round(latencyMs * 1000));
    const serviceUs = Math.max(1, Math.round(serviceMs * 1000));
    record(
      perInterval[Math.min(intervalCount - 1, Math.floor(tSec / intervalSec))],
      latencyUs,
      serviceUs,
      error,
      status,
    );
    if (measuredT < 0) continue;
    record(overall, latencyUs, serviceUs, error, status);
    record(perEndpoint[index], latencyUs, serviceUs, error, status);
  }

  const endpoints: EndpointSummary[] = spec.endpoints.map((endpoint, index) => {
    const acc = perEndpoint[index];
    return {
      name: endpoint.name,
      path: endpoint.path ?? `/${endpoint.name}.php?id={id}`,
      ...acc.counts,
      ...percentiles(acc),
      req_per_min_observed: acc.counts.total / spec.durationSec * 60,
      histogram: hdr.encodeIntoCompressedBase64(acc.latency),
      service_histogram: hdr.encodeIntoCompressedBase64(acc.service),
      ...(endpoint.perf ? { moodle_perf: endpoint.perf } : {}),
    };
  });

  const intervals: IntervalSummary[] = perInterval.map((acc, index) => {
    const endSec = (index + 1) * intervalSec;
    return {
      ...acc.counts,
      ...percentiles(acc),
      t_sec: endSec - warmupSec,
      epoch_ms: startedAtMs + endSec * 1000,
      interval_sec: intervalSec,
      warmup: endSec <= warmupSec,
      target_rpm: spec.targetRpm,
      observed_rpm: acc.counts.total / intervalSec * 60,
      in_flight: Math.round(random() * 5),
      late: 0,
      backlog: 0,
    };
  });

  const perfs = spec.endpoints.filter((e) => e.perf).map((e) => e.perf!);
  const summary: RunSummary = {
    tool: "moodle-load",
    version: "0.1.0",
    schema_version: 1,
    started_at: new Date(startedAtMs).toISOString(),
    ended_at: new Date(measuredStartMs + spec.durationSec * 1000).toISOString(),
    base_url: spec.baseUrl ?? "http://127.0.0.1:8080",
    seed: spec.seed,
    elapsed_sec: spec.durationSec,
    duration_sec: spec.durationSec,
    warmup_sec: warmupSec,
    concurrency: 20,
    target_rpm: spec.targetRpm,
    req_per_min_observed: overall.counts.total / spec.durationSec * 60,
    error_rate: overall.counts.total ? overall.counts.failures / overall.counts.total : 0,
    late: 0,
    not_sent: Math.max(0, Math.round((1 - achieved) * spec.targetRpm / 60 * spec.durationSec)),
    scheduler_lateness_ms: { p50: 1.1, p99: 2.1, max: 4 },
    interrupted: false,
    login: { attempted: 5, logged_in: 5, relogins: 0, by_reason: {}, failed: [] },
    ...overall.counts,
    ...percentiles(overall),
    endpoints,
    intervals,
    histograms: {
      latency: hdr.encodeIntoCompressedBase64(overall.latency),
      service: hdr.encodeIntoCompressedBase64(overall.service),
    },
    ...(perfs.length
      ? {
        moodle_perf: {
          pages: perfs.reduce((a, p) => a + p.pages, 0),
          time_used_ms_mean: perfs.reduce((a, p) => a + (p.time_used_ms_mean ?? 0), 0) / perfs.length,
          db_reads_mean: perfs.reduce((a, p) => a + (p.db_reads_mean ?? 0), 0) / perfs.length,
        },
      }
      : {}),
  };
  return summary;
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
