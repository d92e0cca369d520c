/** `moodle-load compare BASE CAND`: read two runs, compare, print, and set the exit code. */
import { resolve } from "node:path";
import { EXIT, UserError } from "../errors.ts";
import { locateSummary } from "../results/summary_file.ts";
import { THRESHOLD_EXIT } from "../thresholds/evaluate.ts";
import { compareSummaries, type Comparison, DEFAULT_COMPARE_OPTIONS } from "../compare/compare.ts";
import {
  evaluateFailOn,
  evaluateUnjudged,
  type FailOnHit,
  FailOnSyntaxError,
  type FailOnUnjudged,
  parseFailOn,
} from "../compare/fail_on.ts";
import { renderComparison } from "../compare/render.ts";
import { failOnCases } from "../compare/junit.ts";
import { checkJunitPath, writeJunitFile } from "../output/junit_file.ts";

/** Exit code when a --fail-on criterion fires (the same as a crossed threshold). */
export const FAIL_ON_EXIT = THRESHOLD_EXIT;
/**
 * Exit code when no --fail-on criterion fired but one could not be judged (too few requests for
 * it): never 0, because a gate that passes what it cannot judge is worse than none; distinct from
 * 1 and 99 so CI can tell "run longer" from "broken" and "regressed".
 */
export const CANNOT_JUDGE_EXIT = EXIT.cannotJudge;

export interface CompareCliOptions {
  json?: boolean;
  failOn?: string[];
  minEffect?: string;
  confidence?: string;
  /** Write each --fail-on criterion as a JUnit test case to this file. */
  junit?: string;
  /** Write the A/B report (both runs on every chart, the verdict table) to this file. */
  html?: string;
}

/** "5%" or "0.05" → 0.05. */
export function parseFraction(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  const value = match ? Number(match[1]) / (match[2] ? 100 : 1) : NaN;
  if (!Number.isFinite(value) || value < 0 || value >= 1) {
    throw new UserError(
      `${what} "${text}" is not a percentage below 100 (e.g. 5%) — fix the flag`,
      EXIT.usage,
    );
  }
  return value;
}

export interface CompareOutcome {
  comparison: Comparison;
  hits: FailOnHit[];
  /** Criteria that did not fire and could not have: the whole run (or named endpoint) too small. */
  unjudged: FailOnUnjudged[];
  /** Endpoints under `*:` / `regression` too small to judge (listed, not blocking). */
  skipped: FailOnUnjudged[];
  exitCode: number;
}

/** The one line for exit 4: every criterion that could not be judged, with the sizes it needs. */
export function cannotJudgeLine(unjudged: readonly FailOnUnjudged[]): string {
  const byCriterion = new Map<string, string[]>();
  for (const u of unjudged) byCriterion.set(u.criterion, [...(byCriterion.get(u.criterion) ?? []), u.detail]);
  return `--fail-on cannot judge (too few samples): ${
    [...byCriterion].map(([criterion, details]) => `"${criterion}": ${details.join(", ")}`).join("; ")
  }`;
}

/** The whole compare step as a function (bisect and bench reuse it). */
export async function compareRuns(
  base: string,
  candidate: string,
  options: CompareCliOptions = {},
): Promise<CompareOutcome> {
  let criteria;
  try {
    criteria = (options.failOn ?? []).map(parseFailOn);
  } catch (error) {
    if (error instanceof FailOnSyntaxError) throw new UserError(error.message, EXIT.usage);
    throw error;
  }
  const [b, c] = await Promise.all([locateSummary(base), locateSummary(candidate)]);
  const comparison = compareSummaries(b.summary, c.summary, { base: b.path, candidate: c.path }, {
    minEffect: options.minEffect
      ? parseFraction(options.minEffect, "--min-effect")
      : DEFAULT_COMPARE_OPTIONS.minEffect,
    confidence: options.confidence
      ? parseFraction(options.confidence, "--confidence")
      : DEFAULT_COMPARE_OPTIONS.confidence,
  });
  if (resolve(b.path) === resolve(c.path)) {
    comparison.notes.push(
      `base and candidate are the same file (${b.path}): pass two different runs (in a directory ` +
        `with several summaries the newest is used; name the load_summary_*.json to pick another)`,
    );
  }
  for (const located of [b, c]) {
    const note = `${located.dir} holds ${
      located.others.length + 1
    } summaries: used the newest, ${located.path}`;
    if (located.others.length && !comparison.notes.includes(note)) comparison.notes.push(note);
  }
  const hits = evaluateFailOn(criteria, comparison);
  const { unjudged, skipped } = evaluateUnjudged(criteria, comparison, hits);
  const exitCode = hits.length ? FAIL_ON_EXIT : unjudged.length ? CANNOT_JUDGE_EXIT : 0;
  return { comparison, hits, unjudged, skipped, exitCode };
}

/** What --fail-on decided, as the terminal and the A/B report show it. */
export function failOnLines(outcome: CompareOutcome, failOn: readonly string[]): string[] {
  const lines = [
    outcome.hits.length
      ? `--fail-on crossed (exit ${FAIL_ON_EXIT}):\n${
        outcome.hits.map((h) => `  ✗ ${h.criterion}: ${h.detail}`).join("\n")
      }`
      : outcome.unjudged.length
      ? `${cannotJudgeLine(outcome.unjudged)} (exit ${CANNOT_JUDGE_EXIT})`
      : `--fail-on: none of ${failOn.map((f) => `"${f}"`).join(", ")} crossed`,
  ];
  if (outcome.skipped.length) {
    lines.push(
      `--fail-on: not judged (too few requests): ${
        [...new Set(outcome.skipped.map((u) => u.detail))].join(", ")
      }`,
    );
  }
  return lines;
}

export async function printComparison(
  base: string,
  candidate: string,
  options: CompareCliOptions,
): Promise<void> {
  await checkJunitPath(options.junit);
  const outcome = await compareRuns(base, candidate, options);
  if (options.junit) {
    await writeJunitFile(options.junit, {
      name: "moodle-load compare",
      classname: `${outcome.comparison.base.label} → ${outcome.comparison.candidate.label}`,
      timeSec: 0,
      timestamp: new Date(),
      cases: failOnCases(options.failOn ?? [], outcome.hits, outcome.unjudged),
    });
  }
  if (options.html) {
    const { writeAbReport } = await import("./ab_report.ts");
    await writeAbReport(base, candidate, outcome.comparison, {
      out: options.html,
      failOnLines: options.failOn?.length ? failOnLines(outcome, options.failOn) : undefined,
    });
  }
  if (options.json) {
    console.log(
      JSON.stringify(
        {
          ...outcome.comparison,
          fail_on: outcome.hits,
          cannot_judge: outcome.unjudged,
          not_judged_endpoints: outcome.skipped,
          exit_code: outcome.exitCode,
        },
        null,
        2,
      ),
    );
  } else {
    console.log(renderComparison(outcome.comparison));
    if (options.failOn?.length) console.log(failOnLines(outcome, options.failOn).join("\n"));
    if (options.html) console.log(`wrote ${options.html} (the A/B report; works offline)`);
  }
  if (outcome.hits.length) {
    const what = [...new Set(outcome.hits.map((h) => h.metric ? `${h.endpoint} ${h.metric}` : h.detail))];
    throw new UserError(`--fail-on crossed: ${what.join(", ")}`, FAIL_ON_EXIT);
  }
  if (outcome.unjudged.length) throw new UserError(cannotJudgeLine(outcome.unjudged), CANNOT_JUDGE_EXIT);
}
