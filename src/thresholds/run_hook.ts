/**
 * Thresholds around a command that runs load (`run`): check the expressions and endpoint names
 * against the config before any request is sent, judge the summary after, exit 99 when crossed.
 */
import { loadConfig } from "../config/load.ts";
import { resolveEndpoints } from "../config/resolve.ts";
import type { RunSummary } from "../results/summary_types.ts";
import { UserError } from "../errors.ts";
import { THRESHOLD_EXIT } from "./evaluate.ts";
import { checkJunitPath } from "../output/junit_file.ts";
import { writeThresholdJunit } from "./junit.ts";
import {
  checkThresholdEndpoints,
  judgeThresholds,
  resolveThresholds,
  type ThresholdSources,
} from "./option.ts";

/** The JUnit suite name of `run`'s thresholds. */
const JUNIT_SUITE = "moodle-load run thresholds";

/**
 * Before the run: flags + the config's `thresholds`, validated, and the `--junit` file's folder.
 * Undefined when there are none.
 */
export async function thresholdsBeforeRun(
  configFile: string,
  flags: readonly string[] | undefined,
  junitFile?: string,
): Promise<ThresholdSources | undefined> {
  await checkJunitPath(junitFile);
  // A config the run itself will reject is reported by the run, with its own message.
  const config = await loadConfig(configFile).catch(() => undefined);
  const sources: ThresholdSources = { flags, config: config?.thresholds };
  const thresholds = resolveThresholds(sources);
  if (!thresholds.length) return undefined;
  if (config) checkThresholdEndpoints(thresholds, resolveEndpoints(config).map((e) => e.name));
  return sources;
}

/**
 * After the run: print the verdict, write `--junit FILE` (before any exit), exit 99 (one line) when
 * any threshold was crossed.
 */
export async function thresholdsAfterRun(
  summary: RunSummary,
  sources: ThresholdSources | undefined,
  junitFile?: string,
): Promise<void> {
  if (!sources) {
    if (junitFile) await writeThresholdJunit(junitFile, summary, [], JUNIT_SUITE);
    return;
  }
  const verdict = judgeThresholds(summary, sources);
  if (junitFile) await writeThresholdJunit(junitFile, summary, verdict.results, JUNIT_SUITE);
  if (verdict.crossed.length) {
    throw new UserError(
      `thresholds crossed: ${verdict.crossed.map((r) => r.threshold.source).join(", ")}`,
      THRESHOLD_EXIT,
    );
  }
}
