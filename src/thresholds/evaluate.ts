/**
 * Judge thresholds against a run summary (the measured phase: warm-up is already excluded from its
 * totals). Pure: every threshold gets a result, and every crossed one is listed.
 */
import { EXIT } from "../errors.ts";
import type { EndpointSummary, Percentiles, RunSummary } from "../results/summary_types.ts";
import type { JourneySummary } from "../results/journeys.ts";
import { type Comparator, formatLimit, type Threshold, type ThresholdMetric } from "./parse.ts";

/** Exit code when any threshold is crossed (as k6 does). */
export const THRESHOLD_EXIT = EXIT.thresholdCrossed;

export interface ThresholdResult {
  threshold: Threshold;
  /** The measured value in the threshold's unit; undefined when nothing could be measured. */
  actual?: number;
  passed: boolean;
  /** One human line: what was measured against what limit, or why it could not be judged. */
  detail: string;
}

export interface ThresholdVerdict {
  results: ThresholdResult[];
  crossed: ThresholdResult[];
  exitCode: 0 | typeof THRESHOLD_EXIT;
}

const PERCENTILE_KEY: Partial<Record<ThresholdMetric, keyof Percentiles>> = {
  p50: "latency_ms_p50",
  p90: "latency_ms_p90",
  p95: "latency_ms_p95",
  p99: "latency_ms_p99",
  max: "latency_ms_max",
  mean: "latency_ms_mean",
  service_p50: "service_ms_p50",
  service_p95: "service_ms_p95",
  service_p99: "service_ms_p99",
};

export function compareValues(actual: number, comparator: Comparator, limit: number): boolean {
  switch (comparator) {
    case "<":
      return actual < limit;
    case "<=":
      return actual <= limit;
    case ">":
      return actual > limit;
    case ">=":
      return actual >= limit;
  }
}

function scopeName(threshold: Threshold): string {
  if (threshold.journey !== undefined) return `journey "${threshold.journey}"`;
  return threshold.endpoint ? `endpoint "${threshold.endpoint}"` : "the run";
}

/**
 * The endpoint row a threshold names: by its full name, or for `step:NAME` the one journey step
 * named NAME (`reply` → `forum-post/reply`); a string says why there is none.
 */
function findEndpoint(threshold: Threshold, endpoints: readonly EndpointSummary[]): EndpointSummary | string {
  const exact = endpoints.find((e) => e.name === threshold.endpoint);
  if (exact) return exact;
  const steps = threshold.step ? endpoints.filter((e) => e.name.endsWith(`/${threshold.endpoint}`)) : [];
  if (steps.length === 1) return steps[0];
  const known = endpoints.map((e) => e.name).join(", ") || "none";
  return steps.length > 1
    ? `step "${threshold.endpoint}" is in several journeys (${steps.map((e) => e.name).join(", ")}): name one`
    : `no endpoint named "${threshold.endpoint}" was measured (endpoints: ${known})`;
}

/** `journey:NAME:`: completed iterations' duration percentiles, or failed / (completed + failed). */
function measureJourney(threshold: Threshold, summary: RunSummary): number | string {
  const journeys = (summary as RunSummary & { journeys?: readonly JourneySummary[] }).journeys ?? [];
  const journey = journeys.find((j) => j.name === threshold.journey);
  if (!journey) {
    const known = journeys.map((j) => j.name).join(", ") || "none: the run had no journeys";
    return `no journey named "${threshold.journey}" was run (journeys: ${known})`;
  }
  const ended = journey.completed + journey.failed;
  if (threshold.metric === "error_rate") {
    return ended === 0 ? `no iteration of journey "${journey.name}" ended` : journey.failed / ended;
  }
  if (journey.completed === 0) return `no iteration of journey "${journey.name}" completed`;
  return journey.duration_ms[threshold.metric as "p50" | "p95" | "p99" | "max"];
}

function formatActual(threshold: Threshold, actual: number): string {
  const round = (v: number, digits: number) => String(Number(v.toFixed(digits)));
  switch (threshold.unit) {
    case "ms":
      return `${round(actual, 1)} ms`;
    case "fraction":
    case "of_target":
    case "of_intended":
      return `${round(actual * 100, 2)}%`;
    case "rpm":
      return `${round(actual, 1)} rpm`;
    case "count":
      return String(actual);
  }
}

/** Measure what a threshold talks about; a string explains why it cannot be measured. */
function measure(threshold: Threshold, summary: RunSummary): number | string {
  if (threshold.journey !== undefined) return measureJourney(threshold, summary);
  let scope: RunSummary | EndpointSummary = summary;
  if (threshold.endpoint) {
    const endpoint = findEndpoint(threshold, summary.endpoints);
    if (typeof endpoint === "string") return endpoint;
    scope = endpoint;
  }
  const percentileKey = PERCENTILE_KEY[threshold.metric];
  if (percentileKey) {
    if (scope.total === 0) return `no requests were measured for ${scopeName(threshold)}`;
    return scope[percentileKey];
  }
  switch (threshold.metric) {
    case "error_rate":
      if (scope.total === 0) return `no requests were measured for ${scopeName(threshold)}`;
      return scope.failures / scope.total;
    case "rpm_observed":
      if (threshold.unit === "of_target") {
        if (!(summary.target_rpm > 0)) return "the run has no target rate to compare with";
        return summary.req_per_min_observed / summary.target_rpm;
      }
      return scope.req_per_min_observed;
    case "late":
    case "not_sent": {
      const count = summary[threshold.metric];
      if (threshold.unit === "count") return count;
      const intended = summary.total + summary.not_sent;
      return intended === 0 ? 0 : count / intended;
    }
    default:
      return `internal: no measurement for ${threshold.metric}`;
  }
}

export function evaluateThreshold(threshold: Threshold, summary: RunSummary): ThresholdResult {
  const measured = measure(threshold, summary);
  if (typeof measured === "string") {
    return { threshold, passed: false, detail: `${threshold.source}: not met: ${measured}` };
  }
  const passed = compareValues(measured, threshold.comparator, threshold.value);
  const verb = passed ? "ok" : "CROSSED";
  return {
    threshold,
    actual: measured,
    passed,
    detail: `${threshold.source}: ${verb} (measured ${
      formatActual(threshold, measured)
    }, limit ${threshold.comparator} ${formatLimit(threshold)})`,
  };
}

export function evaluateThresholds(thresholds: readonly Threshold[], summary: RunSummary): ThresholdVerdict {
  const results = thresholds.map((threshold) => evaluateThreshold(threshold, summary));
  const crossed = results.filter((result) => !result.passed);
  return { results, crossed, exitCode: crossed.length ? THRESHOLD_EXIT : 0 };
}

/** The lines printed after a run: one per threshold, crossed ones first, and a closing verdict. */
export function thresholdReport(verdict: ThresholdVerdict): string {
  if (!verdict.results.length) return "";
  const lines = ["Thresholds (measured phase):"];
  for (const result of [...verdict.crossed, ...verdict.results.filter((r) => r.passed)]) {
    lines.push(`  ${result.passed ? "✓" : "✗"} ${result.detail}`);
  }
  lines.push(
    verdict.crossed.length
      ? `${verdict.crossed.length} of ${verdict.results.length} thresholds crossed (exit code ${THRESHOLD_EXIT})`
      : `all ${verdict.results.length} thresholds met`,
  );
  return lines.join("\n");
}
