/**
 * The thresholds lifecycle around every command that runs load (`run`, `bench`, `bisect`): before any
 * request is sent, merge the flags with the config's `thresholds`, parse them and check their endpoint
 * names; after the run, judge the summary, print the verdict, and end with exit 99 when one was crossed.
 */
import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { resolveEndpoints } from "../config/resolve.ts";
import { presetJourney } from "../journey/presets.ts";
import type { RunSummary } from "../results/summary_types.ts";
import { UserError } from "../errors.ts";
import { THRESHOLD_EXIT, type ThresholdVerdict } from "./evaluate.ts";
import type { Threshold } from "./parse.ts";
import { checkJunitPath } from "../output/junit_file.ts";
import { writeThresholdJunit } from "./junit.ts";
import {
  checkThresholdEndpoints,
  judgeThresholds,
  resolveThresholds,
  type ThresholdSources,
} from "./option.ts";

/** The JUnit suite name of `run`'s and `bench`'s thresholds. */
const JUNIT_SUITE = "moodle-load run thresholds";

/** What a run is judged by: where the expressions came from, and their parsed form. */
export interface RunThresholds {
  sources: ThresholdSources;
  thresholds: Threshold[];
}

/**
 * Before the run, with the config already read (undefined: check the flags' syntax only) and the
 * `--journey` preset, if any (its steps are then the endpoints). Throws a
 * usage UserError on a bad expression or an unknown endpoint; undefined when there are no thresholds.
 */
export function prepareThresholds(
  config: Config | undefined,
  flags: readonly string[] | undefined,
  preset?: string,
): RunThresholds | undefined {
  const sources: ThresholdSources = { flags, config: config?.thresholds };
  const thresholds = resolveThresholds(sources);
  if (!thresholds.length) return undefined;
  if (config) {
    const journeys = preset === undefined
      ? config.journeys ?? []
      : [presetJourney(preset)].flatMap((j) => j ?? []);
    if (preset !== undefined && journeys.length === 0) return { sources, thresholds }; // `run` names the bad preset
    const endpoints = journeys.length
      ? journeys.flatMap((j) => j.steps.map((step) => `${j.name}/${step.name}`))
      : resolveEndpoints(config).map((e) => e.name);
    checkThresholdEndpoints(thresholds, endpoints, journeys.map((j) => j.name));
  }
  return { sources, thresholds };
}

/** As prepareThresholds, reading the config file first (for `run`, which reads it again itself). */
export async function thresholdsBeforeRun(
  configFile: string,
  flags: readonly string[] | undefined,
  preset?: string,
  junitFile?: string,
): Promise<RunThresholds | undefined> {
  await checkJunitPath(junitFile);
  // A config the run itself will reject is reported by the run, with its own message.
  const config = await loadConfig(configFile, { workloadGiven: preset !== undefined }).catch(() => undefined);
  return prepareThresholds(config, flags, preset);
}

/** After the run: judge and print the verdict (stderr by default); undefined when there are none. */
export function judgeRun(
  summary: RunSummary,
  thresholds: RunThresholds | undefined,
  print?: (text: string) => void,
): ThresholdVerdict | undefined {
  return thresholds ? judgeThresholds(summary, thresholds.sources, print) : undefined;
}

/** The one line a command ends with when a threshold was crossed (exit 99); `where` names the report. */
export function thresholdsCrossedError(verdict: ThresholdVerdict, where?: string): UserError {
  const crossed = verdict.crossed.map((result) => result.threshold.source).join(", ");
  return new UserError(`thresholds crossed: ${crossed}${where ? ` — see ${where}` : ""}`, THRESHOLD_EXIT);
}

/**
 * After the run, for a command: print the verdict, write `--junit FILE` (before any exit; no thresholds:
 * an empty suite, so CI finds its file), throw the exit-99 line when any was crossed.
 */
export async function thresholdsAfterRun(
  summary: RunSummary,
  thresholds: RunThresholds | undefined,
  junitFile?: string,
): Promise<void> {
  const verdict = judgeRun(summary, thresholds);
  if (junitFile) await writeThresholdJunit(junitFile, summary, verdict?.results ?? [], JUNIT_SUITE);
  if (verdict?.crossed.length) throw thresholdsCrossedError(verdict);
}
