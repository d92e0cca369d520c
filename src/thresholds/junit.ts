/**
 * Thresholds as JUnit test cases (`--junit FILE` on run and bench): one per threshold; a crossed one
 * fails with its measured value. A threshold that could not be measured fails too, as it does for the
 * exit code (99): CI and the exit code never disagree.
 */
import type { RunSummary } from "../results/summary_types.ts";
import type { JunitCase, JunitSuite } from "../output/junit.ts";
import { writeJunitFile } from "../output/junit_file.ts";
import type { ThresholdResult } from "./evaluate.ts";

export function thresholdCases(results: readonly ThresholdResult[]): JunitCase[] {
  return results.map((r) => ({ name: r.threshold.source, passed: r.passed, detail: r.detail }));
}

/** The suite of one run's thresholds: timed and stamped by the run, grouped under `classname`. */
export function thresholdSuite(
  summary: RunSummary,
  results: readonly ThresholdResult[],
  name: string,
  classname: string,
): JunitSuite {
  const started = new Date(summary.started_at);
  return {
    name,
    classname,
    timeSec: summary.elapsed_sec,
    timestamp: Number.isNaN(started.getTime()) ? new Date() : started,
    cases: thresholdCases(results),
  };
}

/** Write the thresholds of a run as JUnit XML (no thresholds: an empty suite, so CI finds its file). */
export async function writeThresholdJunit(
  file: string,
  summary: RunSummary,
  results: readonly ThresholdResult[],
  name: string,
  classname: string = summary.base_url,
): Promise<void> {
  await writeJunitFile(file, thresholdSuite(summary, results, name, classname));
}

/** `bench --junit FILE`: the run's thresholds, grouped under the run directory. */
export async function writeBenchJunit(
  file: string,
  summary: RunSummary,
  results: readonly ThresholdResult[],
  runDir: string,
): Promise<void> {
  await writeThresholdJunit(file, summary, results, "moodle-load bench thresholds", runDir);
}
