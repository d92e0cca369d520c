/**
 * Threshold expressions (`p95<800ms`, `error_rate<1%`, `rpm_observed>95%`, `course_view:p99<2s`):
 * pure parsing into a value that `evaluate.ts` judges against a run summary.
 */

/** Latency metrics in ms: from the intended start (the headline) or service time (from actual send). */
export const LATENCY_METRICS = [
  "p50",
  "p90",
  "p95",
  "p99",
  "max",
  "mean",
  "service_p50",
  "service_p95",
  "service_p99",
] as const;
export const THRESHOLD_METRICS = [
  ...LATENCY_METRICS,
  "error_rate",
  "rpm_observed",
  "late",
  "not_sent",
] as const;
export type ThresholdMetric = typeof THRESHOLD_METRICS[number];
export type Comparator = "<" | "<=" | ">" | ">=";

/**
 * What the number means: `ms` (latency), `fraction` (error rate as 0–1), `rpm` (absolute rate),
 * `of_target` (fraction of the target rate), `count` (requests), `of_intended` (fraction of requests).
 */
export type ThresholdUnit = "ms" | "fraction" | "rpm" | "of_target" | "count" | "of_intended";

/** What `journey:NAME:` thresholds measure: completed iterations' duration, or failed iterations. */
export const JOURNEY_METRICS = ["p50", "p95", "p99", "max", "error_rate"] as const;

export interface Threshold {
  /** The expression as written, for messages. */
  source: string;
  /** Endpoint name (`step:NAME` too: a journey step's row); undefined = the whole run. */
  endpoint?: string;
  /** `step:NAME`: `endpoint` may also be a step name that only one journey has (`reply` for `forum-post/reply`). */
  step?: boolean;
  /** `journey:NAME`: the journey's iterations (then `endpoint` is undefined). */
  journey?: string;
  metric: ThresholdMetric;
  comparator: Comparator;
  value: number;
  unit: ThresholdUnit;
}

export class ThresholdSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ThresholdSyntaxError";
  }
}

function syntax(source: string, reason: string): ThresholdSyntaxError {
  return new ThresholdSyntaxError(`threshold "${source}": ${reason}`);
}

const EXPRESSION = /^(?:(.+):)?\s*([a-z][a-z0-9_]*)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zµ%]*)\s*$/i;

const EXAMPLES = `e.g. "p95<800ms", "error_rate<1%", "rpm_observed>95%", "course_view:p99<2s", ` +
  `"journey:forum-post:p95<10s", "step:forum-post/reply:error_rate<1%"`;

function isMetric(name: string): name is ThresholdMetric {
  return (THRESHOLD_METRICS as readonly string[]).includes(name);
}

function latencyMs(source: string, value: number, unit: string): number {
  switch (unit) {
    case "":
    case "ms":
      return value;
    case "s":
      return value * 1000;
    case "us":
    case "µs":
      return value / 1000;
    case "m":
      return value * 60_000;
    default:
      throw syntax(source, `unknown unit "${unit}" for a latency (use ms or s)`);
  }
}

/** Parse one expression; throws ThresholdSyntaxError with a message a user can act on. */
export function parseThreshold(expression: string): Threshold {
  const source = expression.trim();
  const match = EXPRESSION.exec(source);
  if (!match) throw syntax(source, `expected [endpoint:]metric<value, ${EXAMPLES}`);
  const [, rawEndpoint, rawMetric, comparator, rawValue, rawUnit] = match;
  const scope = /^(journey|step):(.+)$/.exec(rawEndpoint?.trim() ?? "");
  const endpoint = scope ? undefined : rawEndpoint?.trim() || undefined;
  const metric = rawMetric.toLowerCase();
  const unit = rawUnit.toLowerCase();
  const value = Number(rawValue);
  if (!isMetric(metric)) {
    throw syntax(source, `unknown metric "${rawMetric}" (known: ${THRESHOLD_METRICS.join(", ")})`);
  }
  if (scope?.[1] === "journey") {
    return journeyThreshold(source, scope[2].trim(), metric, comparator, value, unit);
  }
  if (scope) {
    return {
      ...parseThreshold(`${scope[2].trim()}:${rawMetric}${comparator}${rawValue}${rawUnit}`),
      source,
      step: true,
    };
  }
  const base = { source, endpoint, metric, comparator: comparator as Comparator };

  if ((LATENCY_METRICS as readonly string[]).includes(metric)) {
    return { ...base, value: latencyMs(source, value, unit), unit: "ms" };
  }
  if (metric === "error_rate") {
    if (unit === "%") return { ...base, value: value / 100, unit: "fraction" };
    if (unit !== "") throw syntax(source, `error_rate takes a percentage ("1%") or a fraction ("0.01")`);
    if (value > 1) throw syntax(source, `error_rate ${value} is above 1: did you mean ${value}%?`);
    return { ...base, value, unit: "fraction" };
  }
  if (metric === "rpm_observed") {
    if (unit === "%") {
      if (endpoint) {
        throw syntax(
          source,
          `a per-endpoint rate has no target to take a percentage of: give requests per minute, e.g. "${endpoint}:rpm_observed>100"`,
        );
      }
      return { ...base, value: value / 100, unit: "of_target" };
    }
    if (unit !== "" && unit !== "rpm") {
      throw syntax(source, `rpm_observed takes "95%" (of target) or a rate in requests per minute`);
    }
    return { ...base, value, unit: "rpm" };
  }
  // late, not_sent: whole-run scheduler figures.
  if (endpoint) throw syntax(source, `${metric} is counted for the whole run, not per endpoint`);
  if (unit === "%") return { ...base, value: value / 100, unit: "of_intended" };
  if (unit !== "") throw syntax(source, `${metric} takes a count ("0") or a percentage of requests ("0.1%")`);
  return { ...base, value, unit: "count" };
}

/** `journey:NAME:metric<value`: duration percentiles of completed iterations, or their error rate. */
function journeyThreshold(
  source: string,
  journey: string,
  metric: ThresholdMetric,
  comparator: string,
  value: number,
  unit: string,
): Threshold {
  if (!(JOURNEY_METRICS as readonly string[]).includes(metric)) {
    throw syntax(
      source,
      `a journey threshold takes ${JOURNEY_METRICS.join(", ")} (iteration duration, failed iterations); ` +
        `for one step use "step:${journey}/STEP:${metric}…"`,
    );
  }
  const parsed = parseThreshold(`${metric}${comparator}${value}${unit}`);
  return { ...parsed, source, journey };
}

/** Parse many; every syntax error is reported at once. */
export function parseThresholds(expressions: readonly string[]): Threshold[] {
  const errors: string[] = [];
  const parsed: Threshold[] = [];
  for (const expression of expressions) {
    try {
      parsed.push(parseThreshold(expression));
    } catch (error) {
      if (!(error instanceof ThresholdSyntaxError)) throw error;
      errors.push(error.message);
    }
  }
  if (errors.length) throw new ThresholdSyntaxError(errors.join("; "));
  return parsed;
}

/** Human form of a threshold's limit: "800 ms", "1%", "95% of target". */
export function formatLimit(threshold: Threshold): string {
  const v = threshold.value;
  switch (threshold.unit) {
    case "ms":
      return `${trim(v)} ms`;
    case "fraction":
      return `${trim(v * 100)}%`;
    case "of_target":
      return `${trim(v * 100)}% of target`;
    case "of_intended":
      return `${trim(v * 100)}% of requests`;
    case "rpm":
      return `${trim(v)} rpm`;
    case "count":
      return `${trim(v)}`;
  }
}

function trim(value: number): string {
  return String(Number(value.toFixed(4)));
}
