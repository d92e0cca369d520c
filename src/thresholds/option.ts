/**
 * `--threshold` as a commander option (each value checked when the command line is parsed), and the
 * steps src/thresholds/run_hook.ts strings together around a run: merge flag and config thresholds,
 * check their endpoint names, judge the summary and print the verdict.
 */
import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { EXIT, UserError } from "../errors.ts";
import type { RunSummary } from "../results/summary_types.ts";
import { evaluateThresholds, thresholdReport, type ThresholdVerdict } from "./evaluate.ts";
import { parseThreshold, parseThresholds, type Threshold, ThresholdSyntaxError } from "./parse.ts";

export const THRESHOLD_HELP =
  `pass/fail criterion on the measured phase, repeatable: 'p95<800ms', 'error_rate<1%', ` +
  `'rpm_observed>95%', 'course_view:p99<2s' (any crossed → exit 99)`;

function collect(value: string, previous: string[] | undefined): string[] {
  try {
    parseThreshold(value);
  } catch (error) {
    if (error instanceof ThresholdSyntaxError) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return [...(previous ?? []), value];
}

/** `--threshold <expr>`, repeatable; each value is checked when the command line is parsed. */
export function thresholdOption() {
  return new Option("--threshold <expr>", THRESHOLD_HELP).argParser(collect);
}

export interface ThresholdSources {
  /** From `--threshold` flags. */
  flags?: readonly string[];
  /** From the config's `thresholds` key. */
  config?: readonly string[];
}

/** Flags and config together (duplicates once). Throws UserError on a bad expression. */
export function resolveThresholds(sources: ThresholdSources): Threshold[] {
  const expressions = [
    ...new Set([...(sources.config ?? []), ...(sources.flags ?? [])].map((e) => e.trim())),
  ];
  try {
    return parseThresholds(expressions);
  } catch (error) {
    if (error instanceof ThresholdSyntaxError) {
      throw new UserError(`${error.message} — fix the expression`, EXIT.usage);
    }
    throw error;
  }
}

/** Whether a threshold's endpoint is one of `names` (a `step:` one also by its unique step name). */
function namesKnown(threshold: Threshold, names: readonly string[]): boolean {
  if (threshold.endpoint === undefined || names.includes(threshold.endpoint)) return true;
  return threshold.step === true && names.filter((n) => n.endsWith(`/${threshold.endpoint}`)).length === 1;
}

/**
 * Check thresholds against endpoint names known before a run starts (from the config: its urls, or
 * its journeys' steps `journey/step`) and journey names, so a typo fails at once instead of after
 * the whole run.
 */
export function checkThresholdEndpoints(
  thresholds: readonly Threshold[],
  endpointNames: readonly string[],
  journeyNames: readonly string[] = [],
): void {
  const unknown = thresholds.filter((t) =>
    t.journey !== undefined ? !journeyNames.includes(t.journey) : !namesKnown(t, endpointNames)
  );
  if (unknown.length) {
    const journeys = journeyNames.length ? `; journeys: ${journeyNames.join(", ")}` : "";
    throw new UserError(
      `${
        unknown.map((t) => `threshold "${t.source}"`).join(", ")
      } names an endpoint the config does not have ` +
        `(endpoints: ${
          endpointNames.join(", ")
        }${journeys}) — use a urls[].name, a journey name or journey/step`,
      EXIT.usage,
    );
  }
}

/** Judge, print the report (to stderr by default, so stdout JSON stays clean), return the verdict. */
export function judgeThresholds(
  summary: RunSummary,
  sources: ThresholdSources,
  print: (text: string) => void = (text) => console.error(text),
): ThresholdVerdict {
  const verdict = evaluateThresholds(resolveThresholds(sources), summary);
  const text = thresholdReport(verdict);
  if (text) print(text);
  return verdict;
}
