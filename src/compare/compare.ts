/**
 * Compare two runs: per endpoint (and the whole run) p50/p95/p99 latency from the intended start,
 * error rate and observed rate, each with its change and a noise-aware verdict. Pure: takes two
 * summaries, returns a plain object (`--json` prints it as is). Method: docs/compare.md.
 */
import { runDifferences, targetsDiffer as ratesDiffer } from "./differences.ts";
import type { EndpointSummary, PerfAggregate, RunSummary } from "../results/summary_types.ts";
import { decodeDistribution, type Distribution, quantile } from "./distribution.ts";
import { quantileTest, requestsNeeded } from "./quantile_test.ts";
import {
  bootstrapQuantileRatio,
  holmAdjust,
  mannWhitneyU,
  rateRatioTest,
  twoProportionTest,
} from "./stats.ts";

export type Verdict = "regression" | "improvement" | "no significant change" | "not comparable";
export const LATENCY_QUANTILES = { p50: 0.5, p95: 0.95, p99: 0.99 } as const;
export type CompareMetric = keyof typeof LATENCY_QUANTILES | "error_rate" | "rpm_observed";
export const COMPARE_METRICS: readonly CompareMetric[] = ["p50", "p95", "p99", "error_rate", "rpm_observed"];

export interface CompareOptions {
  /** Smallest relative change worth a verdict (0.05 = 5%). */
  minEffect: number;
  /** Confidence level of the intervals and tests (0.95). */
  confidence: number;
  resamples: number;
  seed: number;
  /** Smallest absolute error-rate change worth a verdict (0.001 = 0.1 percentage points). */
  minErrorRateChange: number;
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = {
  minEffect: 0.05,
  confidence: 0.95,
  resamples: 2000,
  seed: 1,
  minErrorRateChange: 0.001,
};

export interface MetricComparison {
  metric: CompareMetric;
  /** ms for latencies, fraction for error_rate, requests per minute for rpm_observed. */
  base: number;
  candidate: number;
  /** Relative change, candidate / base − 1 (null when base is 0). */
  change: number | null;
  /** Candidate − base, in the metric's unit. */
  difference: number;
  /** Confidence interval of the relative change (latency only: bootstrap, shown where it is reliable). */
  change_interval?: [number, number];
  /** Two-sided p-value of the metric's test (latency: exact quantile test). */
  p_value?: number;
  /** Latency only: the smallest p-value these sample sizes could give (every slow request in one run). */
  p_min?: number;
  /** Latency metric too small to judge: requests each run needs before it can be judged. */
  requests_needed?: number;
  /** p-value after the Holm correction over every test in this comparison. */
  p_adjusted?: number;
  /** The change is larger than noise explains at the chosen confidence. */
  significant: boolean;
  verdict: Verdict;
  /** Why the verdict is what it is, in one line. */
  reason: string;
}

export interface PerfComparison {
  figure: keyof Omit<PerfAggregate, "pages">;
  base: number;
  candidate: number;
  change: number | null;
}

export interface EndpointComparison {
  name: string;
  base_requests: number;
  candidate_requests: number;
  metrics: MetricComparison[];
  verdict: Verdict;
  /** Moodle perf footer means (information: no variance is stored, so no test). */
  moodle_perf: PerfComparison[];
}

export interface RunInfo {
  label: string;
  started_at: string;
  base_url: string;
  target_rpm: number;
  elapsed_sec: number;
  total: number;
  seed: number;
  version: string;
}

export interface Comparison {
  base: RunInfo;
  candidate: RunInfo;
  method: {
    latency: string;
    error_rate: string;
    rpm_observed: string;
    multiple_comparisons: string;
    confidence: number;
    min_effect: number;
    resamples: number;
  };
  overall: EndpointComparison;
  endpoints: EndpointComparison[];
  verdict: Verdict;
  /** "endpoint metric" for every regression, e.g. "course_view p95". */
  regressions: string[];
  improvements: string[];
  /** What differs between the runs besides the code (differences.ts): printed BEFORE the verdict. */
  warnings: string[];
  notes: string[];
}

interface Side {
  counts: { total: number; failures: number; rpm: number; elapsedSec: number; targetRpm: number };
  latency: Distribution;
  /** Per-interval samples of each latency percentile (whole run only). */
  intervals?: Record<keyof typeof LATENCY_QUANTILES, number[]>;
  perf?: PerfAggregate;
}

const INTERVAL_KEYS = { p50: "latency_ms_p50", p95: "latency_ms_p95", p99: "latency_ms_p99" } as const;
/**
 * With at least this many requests above the quantile in each run (p50: 20 requests, p95: 200, p99:
 * 1000) the bootstrap is calibrated and a little more powerful than the exact test (docs/compare.md
 * has the simulation), so it gives the p-value and the interval there. With fewer, the resampled
 * tail is a handful of repeated values and the bootstrap is over-confident: the exact test decides.
 */
export const MIN_TAIL_SAMPLES_FOR_BOOTSTRAP = 10;
/** Fewer measured intervals than this on either side: the per-interval test is not used. */
export const MIN_INTERVALS_FOR_TEST = 4;

function relative(base: number, candidate: number): number | null {
  return base === 0 ? (candidate === 0 ? 0 : null) : candidate / base - 1;
}

/** A metric's measurement and raw test, before the family-wide correction decides significance. */
interface Pending {
  result: MetricComparison;
  /** Latency/error rate: higher is worse; rate: lower is worse. */
  higherIsWorse: boolean;
  /** Smallest change worth a verdict, checked on `change` (relative) or `difference` (absolute). */
  minimum: { relative?: number; absolute?: number };
  /** A second test that must agree (whole-run latency: per-interval Mann–Whitney). */
  confirm?: { p: number; z: number };
  /** Latency: the quantile tested, and which way the exact test says the tail moved (+1 slower). */
  quantile?: number;
  direction?: number;
}

function compareLatency(
  metric: keyof typeof LATENCY_QUANTILES,
  base: Side,
  candidate: Side,
  options: CompareOptions,
): Pending {
  const q = LATENCY_QUANTILES[metric];
  const baseValue = quantile(base.latency, q);
  const candidateValue = quantile(candidate.latency, q);
  const result: MetricComparison = {
    metric,
    base: baseValue,
    candidate: candidateValue,
    change: relative(baseValue, candidateValue),
    difference: candidateValue - baseValue,
    significant: false,
    verdict: "not comparable",
    reason: "",
  };
  const pending: Pending = { result, higherIsWorse: true, minimum: { relative: options.minEffect } };
  if (base.latency.total === 0 || candidate.latency.total === 0) {
    result.reason = base.latency.total === 0
      ? "no latency histogram in base"
      : "no latency histogram in candidate";
    return pending;
  }
  const test = quantileTest(base.latency, candidate.latency, q);
  result.p_value = test.p;
  result.p_min = test.pMin;
  pending.quantile = q;
  pending.direction = test.direction;
  result.reason =
    `exact quantile test: ${test.baseAbove} base vs ${test.candidateAbove} candidate requests ` +
    `above the pooled ${metric} ${test.thresholdMs.toFixed(1)} ms`;
  const fewestAbove = Math.min(base.latency.total, candidate.latency.total) * (1 - q);
  if (fewestAbove >= MIN_TAIL_SAMPLES_FOR_BOOTSTRAP) {
    const interval = bootstrapQuantileRatio(base.latency, candidate.latency, q, {
      resamples: options.resamples,
      confidence: options.confidence,
      seed: options.seed,
    });
    result.change_interval = [interval.low - 1, interval.high - 1];
    result.p_value = interval.p;
    result.reason = "bootstrap from the histograms";
    // The bootstrap's own sign is the change's sign: only the exact test needs the agreement check.
    delete pending.direction;
  }
  const baseSamples = base.intervals?.[metric] ?? [];
  const candidateSamples = candidate.intervals?.[metric] ?? [];
  if (baseSamples.length >= MIN_INTERVALS_FOR_TEST && candidateSamples.length >= MIN_INTERVALS_FOR_TEST) {
    pending.confirm = mannWhitneyU(baseSamples, candidateSamples);
  }
  return pending;
}

function compareErrorRate(base: Side, candidate: Side, options: CompareOptions): Pending {
  const b = base.counts;
  const c = candidate.counts;
  const baseRate = b.total ? b.failures / b.total : 0;
  const candidateRate = c.total ? c.failures / c.total : 0;
  const result: MetricComparison = {
    metric: "error_rate",
    base: baseRate,
    candidate: candidateRate,
    change: relative(baseRate, candidateRate),
    difference: candidateRate - baseRate,
    significant: false,
    verdict: "not comparable",
    reason: "no requests on one side",
  };
  if (b.total && c.total) {
    const test = twoProportionTest(b.failures, b.total, c.failures, c.total);
    result.p_value = test.p;
    result.reason = "two-proportion test";
  }
  return { result, higherIsWorse: true, minimum: { absolute: options.minErrorRateChange } };
}

function compareRate(base: Side, candidate: Side, options: CompareOptions, normalise: boolean): Pending {
  const b = base.counts;
  const c = candidate.counts;
  const result: MetricComparison = {
    metric: "rpm_observed",
    base: b.rpm,
    candidate: c.rpm,
    change: relative(b.rpm, c.rpm),
    difference: c.rpm - b.rpm,
    significant: false,
    verdict: "not comparable",
    reason: "no requests on one side",
  };
  if (b.total && c.total) {
    // Exposure is minutes × target when the targets differ: the test is on the achieved share.
    const test = rateRatioTest(
      b.total,
      b.elapsedSec / 60 * (normalise ? b.targetRpm : 1),
      c.total,
      c.elapsedSec / 60 * (normalise ? c.targetRpm : 1),
    );
    if (normalise) result.change = test.ratio - 1;
    result.p_value = test.p;
    result.reason = `Poisson rate-ratio test${normalise ? " on the share of the target rate achieved" : ""}`;
  } else if (!b.total && !c.total) {
    result.verdict = "no significant change";
  }
  return { result, higherIsWorse: false, minimum: { relative: options.minEffect } };
}

/**
 * Tarone (1990): a test whose smallest possible p-value (`p_min`, known from the sample sizes alone)
 * could not pass the Bonferroni bar α/K of the K tests cannot reject anything, so it leaves the
 * family — it would only make the bar stricter for the others. Those metrics cannot be judged; they
 * get "not comparable" and the number of requests each run would need. Returns the tests kept.
 */
function dropUntestable(pending: Pending[], alpha: number): Pending[] {
  const withP = pending.filter((p) => p.result.p_value !== undefined);
  const kept = withP.filter((p) => (p.result.p_min ?? 0) * withP.length < alpha);
  for (const entry of withP) {
    if (kept.includes(entry)) continue;
    const r = entry.result;
    // Needed with this test back in the family (K + 1): the bar it would have to pass.
    r.requests_needed = requestsNeeded(entry.quantile!, kept.length + 1, alpha);
    r.reason = `too few requests for a ${r.metric} verdict: even if every slow request were in one run ` +
      `the exact test could not reach p < ${fmtP(alpha / (kept.length + 1))} ` +
      `(${kept.length + 1} tests at ${Math.round((1 - alpha) * 100)}%); ` +
      `needs ≥ ${r.requests_needed} requests in each run`;
    delete r.p_value;
  }
  return kept;
}

/** Decide significance and verdicts for every pending metric at once (Holm across the family). */
function finalise(pending: Pending[], options: CompareOptions): void {
  const alpha = 1 - options.confidence;
  const tested = dropUntestable(pending, alpha);
  const adjusted = holmAdjust(tested.map((p) => p.result.p_value!));
  tested.forEach((entry, index) => {
    const r = entry.result;
    r.p_adjusted = adjusted[index];
    const notes = [
      `p=${fmtP(r.p_value!)}`,
      `Holm-adjusted over ${tested.length} tests p=${fmtP(r.p_adjusted)}`,
    ];
    let significant = r.p_adjusted < alpha;
    if (significant && entry.direction !== undefined && entry.direction !== Math.sign(r.difference)) {
      // The tail moved one way while the point quantile (ties, HDR buckets) did not move with it.
      significant = false;
      notes.push("the percentile itself did not move in the direction of the test");
    }
    if (entry.confirm) {
      notes.push(`per-interval Mann–Whitney p=${fmtP(entry.confirm.p)}`);
      const agrees = entry.confirm.p < alpha && Math.sign(entry.confirm.z) === Math.sign(r.difference);
      if (significant && !agrees) {
        significant = false;
        notes.push("the per-interval test does not confirm it");
      }
    }
    r.significant = significant;
    const big = entry.minimum.absolute !== undefined
      ? Math.abs(r.difference) >= entry.minimum.absolute
      : r.change === null || Math.abs(r.change) >= entry.minimum.relative!;
    if (significant && !big) {
      notes.push(
        entry.minimum.absolute !== undefined
          ? `under the ${(entry.minimum.absolute * 100).toFixed(1)} percentage-point minimum`
          : `under the ${(entry.minimum.relative! * 100).toFixed(0)}% minimum effect`,
      );
    }
    r.verdict = significant && big
      ? ((r.difference > 0) === entry.higherIsWorse ? "regression" : "improvement")
      : "no significant change";
    r.reason = `${r.reason}; ${notes.join("; ")}`;
  });
}

function fmtP(p: number): string {
  if (p < 1e-12) return "<1e-12";
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

const PERF_FIGURES: PerfComparison["figure"][] = [
  "time_used_ms_mean",
  "time_used_ms_p95",
  "db_reads_mean",
  "db_writes_mean",
  "db_time_ms_mean",
  "memory_peak_bytes_mean",
  "included_files_mean",
  "session_wait_ms_mean",
];

function comparePerf(base?: PerfAggregate, candidate?: PerfAggregate): PerfComparison[] {
  if (!base || !candidate) return [];
  return PERF_FIGURES.flatMap((figure) => {
    const b = base[figure];
    const c = candidate[figure];
    if (b === undefined || c === undefined) return [];
    return [{ figure, base: b, candidate: c, change: relative(b, c) }];
  });
}

function combine(metrics: MetricComparison[]): Verdict {
  if (metrics.some((m) => m.verdict === "regression")) return "regression";
  if (metrics.some((m) => m.verdict === "improvement")) return "improvement";
  if (metrics.every((m) => m.verdict === "not comparable")) return "not comparable";
  return "no significant change";
}

function compareSides(
  name: string,
  base: Side,
  candidate: Side,
  options: CompareOptions,
  normaliseRate: boolean,
  pending: Pending[],
): EndpointComparison {
  const metrics = [
    compareLatency("p50", base, candidate, options),
    compareLatency("p95", base, candidate, options),
    compareLatency("p99", base, candidate, options),
    compareErrorRate(base, candidate, options),
    compareRate(base, candidate, options, normaliseRate),
  ];
  pending.push(...metrics);
  return {
    name,
    base_requests: base.counts.total,
    candidate_requests: candidate.counts.total,
    metrics: metrics.map((m) => m.result),
    verdict: "not comparable",
    moodle_perf: comparePerf(base.perf, candidate.perf),
  };
}

function runSide(summary: RunSummary): Side {
  const measured = summary.intervals.filter((i) => !i.warmup && i.total > 0);
  const samples = (key: keyof typeof INTERVAL_KEYS) => measured.map((i) => i[INTERVAL_KEYS[key]]);
  return {
    counts: {
      total: summary.total,
      failures: summary.failures,
      rpm: summary.req_per_min_observed,
      elapsedSec: summary.elapsed_sec,
      targetRpm: summary.target_rpm,
    },
    latency: decodeDistribution(summary.histograms?.latency),
    intervals: { p50: samples("p50"), p95: samples("p95"), p99: samples("p99") },
    perf: summary.moodle_perf,
  };
}

function endpointSide(endpoint: EndpointSummary | undefined, summary: RunSummary): Side {
  return {
    counts: {
      total: endpoint?.total ?? 0,
      failures: endpoint?.failures ?? 0,
      rpm: endpoint?.req_per_min_observed ?? 0,
      elapsedSec: summary.elapsed_sec,
      targetRpm: summary.target_rpm,
    },
    latency: decodeDistribution(endpoint?.histogram),
    perf: endpoint?.moodle_perf,
  };
}

function info(summary: RunSummary, label: string): RunInfo {
  return {
    label,
    started_at: summary.started_at,
    base_url: summary.base_url,
    target_rpm: summary.target_rpm,
    elapsed_sec: summary.elapsed_sec,
    total: summary.total,
    seed: summary.seed,
    version: summary.version,
  };
}

/** The method as the JSON and the table footer state it. */
function methodOf(options: CompareOptions): Comparison["method"] {
  const level = `${Math.round(options.confidence * 100)}%`;
  return {
    latency: `where each run has ≥ ${MIN_TAIL_SAMPLES_FOR_BOOTSTRAP} requests above the percentile: ` +
      `${level} percentile-bootstrap interval of the quantile ratio from each run's HDR histogram ` +
      `(${options.resamples} resamples, exact order-statistic draws); with fewer: exact quantile test ` +
      `(Brown–Mood: Fisher's exact test on the requests above the pooled percentile); on the whole ` +
      `run also a Mann–Whitney U test over per-interval percentiles (when both runs have ≥ ${MIN_INTERVALS_FOR_TEST} intervals)`,
    error_rate: "two-proportion z-test",
    rpm_observed: "Poisson rate-ratio test",
    multiple_comparisons:
      "Holm–Bonferroni over every test in the comparison, after Tarone's exclusion of tests too small to " +
      "reject (those are 'not comparable')",
    confidence: options.confidence,
    min_effect: options.minEffect,
    resamples: options.resamples,
  };
}

/** Every endpoint of either run, compared side by side (a missing side is noted). */
function compareEndpoints(
  base: RunSummary,
  candidate: RunSummary,
  options: CompareOptions,
  targetsDiffer: boolean,
  pending: Pending[],
  notes: string[],
): EndpointComparison[] {
  const names = [
    ...new Set([...base.endpoints.map((e) => e.name), ...candidate.endpoints.map((e) => e.name)]),
  ];
  return names.map((name) => {
    const b = base.endpoints.find((e) => e.name === name);
    const c = candidate.endpoints.find((e) => e.name === name);
    if (!b) notes.push(`endpoint "${name}" only in the candidate`);
    if (!c) notes.push(`endpoint "${name}" only in the base`);
    return compareSides(
      name,
      endpointSide(b, base),
      endpointSide(c, candidate),
      options,
      targetsDiffer,
      pending,
    );
  });
}

export function compareSummaries(
  base: RunSummary,
  candidate: RunSummary,
  labels: { base: string; candidate: string } = { base: "base", candidate: "candidate" },
  overrides: Partial<CompareOptions> = {},
): Comparison {
  const options = { ...DEFAULT_COMPARE_OPTIONS, ...overrides };
  const targetsDiffer = ratesDiffer(base, candidate);
  const notes: string[] = [];
  const pending: Pending[] = [];
  const overall = compareSides("(all)", runSide(base), runSide(candidate), options, targetsDiffer, pending);
  const endpoints = compareEndpoints(base, candidate, options, targetsDiffer, pending, notes);
  finalise(pending, options);

  const all = [overall, ...endpoints];
  for (const row of all) row.verdict = combine(row.metrics);
  const list = (verdict: Verdict) =>
    all.flatMap((e) => e.metrics.filter((m) => m.verdict === verdict).map((m) => `${e.name} ${m.metric}`));
  const regressions = list("regression");
  const improvements = list("improvement");
  return {
    base: info(base, labels.base),
    candidate: info(candidate, labels.candidate),
    method: methodOf(options),
    overall,
    endpoints,
    verdict: regressions.length
      ? "regression"
      : improvements.length
      ? "improvement"
      : combine(overall.metrics),
    regressions,
    improvements,
    warnings: runDifferences(base, candidate),
    notes,
  };
}
