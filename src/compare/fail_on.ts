/**
 * `--fail-on` criteria for compare: `p95>+10%`, `error_rate>+0.5pp`, `rpm_observed<-5%`,
 * `course_view:p99>+20%`, `*:p95>+10%` (any endpoint or the whole run), or `regression` (any
 * regression verdict). A criterion fires only on a significant change (noise never fails a build).
 */
import type { CompareMetric, Comparison, EndpointComparison, MetricComparison } from "./compare.ts";
import { COMPARE_METRICS } from "./compare.ts";

export interface FailOn {
  source: string;
  /** undefined = the whole run; "*" = any row. */
  scope?: string;
  /** undefined with kind "regression". */
  metric?: CompareMetric;
  kind: "relative" | "absolute" | "regression";
  direction: ">" | "<";
  /** Relative (0.1 = 10%) or absolute (fraction, for pp) limit on the change. */
  limit: number;
}

export class FailOnSyntaxError extends Error {}

const EXPRESSION = /^(?:(.+):)?\s*([a-z0-9_]+)\s*([<>])\s*([+-]?\d+(?:\.\d+)?)\s*(%|pp)$/i;

export function parseFailOn(expression: string): FailOn {
  const source = expression.trim();
  if (/^regression$/i.test(source)) {
    return { source, kind: "regression", direction: ">", limit: 0, scope: "*" };
  }
  const match = EXPRESSION.exec(source);
  if (!match) {
    throw new FailOnSyntaxError(
      `--fail-on "${source}": expected [endpoint:]metric>+N% (e.g. "p95>+10%", "error_rate>+0.5pp", "rpm_observed<-5%", "*:p99>+20%") or "regression"`,
    );
  }
  const [, scope, rawMetric, direction, value, unit] = match;
  const metric = rawMetric.toLowerCase() as CompareMetric;
  if (!COMPARE_METRICS.includes(metric)) {
    throw new FailOnSyntaxError(
      `--fail-on "${source}": unknown metric "${rawMetric}" (${COMPARE_METRICS.join(", ")})`,
    );
  }
  if (unit === "pp" && metric !== "error_rate") {
    throw new FailOnSyntaxError(`--fail-on "${source}": percentage points (pp) apply to error_rate only`);
  }
  return {
    source,
    scope: scope?.trim() || undefined,
    metric,
    kind: unit === "pp" ? "absolute" : "relative",
    direction: direction as ">" | "<",
    limit: Number(value) / 100,
  };
}

export interface FailOnHit {
  criterion: string;
  endpoint: string;
  metric: string;
  detail: string;
}

function rows(comparison: Comparison, scope: string | undefined): EndpointComparison[] | string {
  if (scope === undefined) return [comparison.overall];
  if (scope === "*") return [comparison.overall, ...comparison.endpoints];
  const row = comparison.endpoints.find((e) => e.name === scope);
  if (!row) {
    return `no endpoint "${scope}" in either run (${comparison.endpoints.map((e) => e.name).join(", ")})`;
  }
  return [row];
}

function crosses(criterion: FailOn, metric: MetricComparison): boolean {
  if (!metric.significant) return false;
  const change = criterion.kind === "absolute"
    ? metric.difference
    : metric.change ?? Infinity * Math.sign(metric.difference);
  return criterion.direction === ">" ? change > criterion.limit : change < criterion.limit;
}

/** Every criterion that fired, with a line saying why; an unknown endpoint fires too (a typo must not pass). */
export function evaluateFailOn(criteria: readonly FailOn[], comparison: Comparison): FailOnHit[] {
  const hits: FailOnHit[] = [];
  for (const criterion of criteria) {
    const scoped = rows(comparison, criterion.scope);
    if (typeof scoped === "string") {
      hits.push({ criterion: criterion.source, endpoint: criterion.scope ?? "", metric: "", detail: scoped });
      continue;
    }
    for (const row of scoped) {
      for (const metric of row.metrics) {
        const fired = criterion.kind === "regression"
          ? metric.verdict === "regression"
          : metric.metric === criterion.metric && crosses(criterion, metric);
        if (!fired) continue;
        const change = criterion.kind === "absolute"
          ? `${metric.difference >= 0 ? "+" : ""}${(metric.difference * 100).toFixed(2)}pp`
          : metric.change === null
          ? "new"
          : `${metric.change >= 0 ? "+" : ""}${(metric.change * 100).toFixed(1)}%`;
        hits.push({
          criterion: criterion.source,
          endpoint: row.name,
          metric: metric.metric,
          detail: `${row.name} ${metric.metric} changed ${change} (significant: ${metric.reason})`,
        });
      }
    }
  }
  return hits;
}

export interface FailOnUnjudged {
  criterion: string;
  endpoint: string;
  metric: string;
  /** One clause: what is missing and the sample sizes needed. */
  detail: string;
}

function unjudgedDetail(row: EndpointComparison, metric: MetricComparison): string {
  const have = `base ${row.base_requests}, candidate ${row.candidate_requests}`;
  if (metric.requests_needed !== undefined) {
    return `${row.name} ${metric.metric} needs ≥ ${metric.requests_needed} requests in each run (${have})`;
  }
  return `${row.name} ${metric.metric} cannot be compared (${metric.reason}; ${have})`;
}

/**
 * Criteria that did not fire but could not have fired either: a metric they cover is "not
 * comparable" (too few requests, no histogram, no requests on one side). A gate must not pass what
 * it could not judge. The whole run, or the named endpoint, must be judgeable; under `*:` and
 * `regression` the endpoints too small to judge are returned in `skipped` (listed, not blocking:
 * every gate over a mix with one rare page would otherwise be undecidable — name the endpoint to
 * require it).
 */
export function evaluateUnjudged(
  criteria: readonly FailOn[],
  comparison: Comparison,
  hits: readonly FailOnHit[],
): { unjudged: FailOnUnjudged[]; skipped: FailOnUnjudged[] } {
  const unjudged: FailOnUnjudged[] = [];
  const skipped: FailOnUnjudged[] = [];
  for (const criterion of criteria) {
    if (hits.some((h) => h.criterion === criterion.source)) continue;
    const scoped = rows(comparison, criterion.scope);
    if (typeof scoped === "string") continue;
    for (const row of scoped) {
      const blocking = row === comparison.overall || criterion.scope === row.name;
      for (const metric of row.metrics) {
        if (metric.verdict !== "not comparable") continue;
        if (criterion.kind !== "regression" && metric.metric !== criterion.metric) continue;
        const entry = {
          criterion: criterion.source,
          endpoint: row.name,
          metric: metric.metric,
          detail: unjudgedDetail(row, metric),
        };
        (blocking ? unjudged : skipped).push(entry);
      }
    }
  }
  return { unjudged, skipped };
}
