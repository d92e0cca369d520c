/**
 * `moodle-load bisect` for `git bisect run`: prepare (deploy this commit) → wait for the site →
 * bench (restore, load, capture, report) into a run directory named after the commit → compare with
 * the baseline and/or judge thresholds → exit 0 good / 1 bad / 125 skip / 255 abort.
 */
import { join } from "node:path";
import { type BenchDeps, type BenchOptions, BenchStepError, runBench } from "./bench.ts";
import { runDirName } from "../bench/manifest.ts";
import { compareRuns } from "./compare.ts";
import { loadConfig } from "../config/load.ts";
import type { RunSummary } from "../results/summary_types.ts";
import { EXIT, UserError } from "../errors.ts";
import { redactUrl } from "../util/redact.ts";
import { abortableSleep, sleep } from "../util/sleep.ts";
import { stopName, StopRequest } from "../util/stop_request.ts";
import { locateSummary } from "../results/summary_file.ts";
import { judgeRun, prepareThresholds } from "../thresholds/run_hook.ts";
import { BISECT_EXIT, type BisectDecision, type BisectEvidence, decideBisect } from "../bisect/decide.ts";

export interface BisectOptions extends Omit<BenchOptions, "runDir" | "tag"> {
  baseline?: string;
  prepare?: string;
  /** Seconds the prepare command may take. */
  prepareTimeout: number;
  /** Seconds to wait for the site to answer after prepare (0: do not wait). */
  waitForSite: number;
  /** "10%": the largest significant rise of `metric` that still counts as good. */
  maxRegression: string;
  metric: string;
  failOn?: string[];
  minEffect?: string;
}

export interface BisectDeps extends BenchDeps {
  /** Short id of the checked-out commit. */
  commit?: () => Promise<string>;
}

/** The criteria a step is judged by against the baseline. */
export function bisectCriteria(
  options: Pick<BisectOptions, "failOn" | "maxRegression" | "metric">,
): string[] {
  if (options.failOn?.length) return options.failOn;
  const limit = options.maxRegression.trim().replace(/^\+/, "");
  if (!/^\d+(\.\d+)?%$/.test(limit)) {
    throw new UserError(
      `--max-regression "${options.maxRegression}" is not a percentage like 10%`,
      EXIT.usage,
    );
  }
  if (!/^p(50|95|99)$/.test(options.metric)) {
    throw new UserError(`--metric "${options.metric}" must be p50, p95 or p99`, EXIT.usage);
  }
  return [`*:${options.metric}>+${limit}`];
}

async function gitCommit(): Promise<string> {
  try {
    const output = await new Deno.Command("git", {
      args: ["rev-parse", "--short", "HEAD"],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    const sha = new TextDecoder().decode(output.stdout).trim();
    return output.success && sha ? sha : "nogit";
  } catch {
    return "nogit";
  }
}

/** Run the prepare command with `sh -c`; its output goes to our stderr. Returns a failure text or undefined. */
export async function runPrepare(
  command: string,
  timeoutSec: number,
  stop?: StopRequest,
): Promise<string | undefined> {
  const child = new Deno.Command("sh", {
    args: ["-c", command],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  })
    .spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, timeoutSec * 1000);
  // A stop signal goes on to the prepare command (a CI timeout reaches only us, not our children).
  stop?.onStop((signal) => {
    try {
      child.kill(signal);
    } catch { /* already gone */ }
  });
  const status = await child.status;
  clearTimeout(timer);
  if (timedOut) return `timed out after ${timeoutSec} s`;
  if (stop?.stoppedBy) return `stopped by ${stop.stoppedBy}`;
  return status.success ? undefined : `exit ${status.code}`;
}

/** Poll the site until it answers HTTP below 500 or the time is up. */
export async function waitForSite(url: string, seconds: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  for (let attempt = 0; attempt < 10_000 && !signal?.aborted; attempt++) {
    try {
      const response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(5000) });
      await response.body?.cancel();
      if (response.status < 500) return true;
    } catch { /* not up yet */ }
    if (Date.now() >= deadline) return false;
    await (signal ? abortableSleep(500, signal) : sleep(500));
  }
  return false;
}

type StepDecision = BisectDecision & { runDir?: string; commit: string };

/**
 * Setup: anything wrong here stops the bisect (255) instead of marking commits. Returns the compare
 * criteria (empty without --baseline), or the abort message.
 */
async function checkSetup(options: BisectOptions): Promise<{ criteria: string[] } | { abort: string }> {
  try {
    if (!options.baseline && !options.threshold?.length) {
      throw new UserError(
        "give --baseline RUN_DIR (compare) and/or --threshold EXPR (absolute limits)",
        EXIT.usage,
      );
    }
    let criteria: string[] = [];
    if (options.baseline) {
      await locateSummary(options.baseline);
      criteria = bisectCriteria(options);
    }
    prepareThresholds(undefined, options.threshold);
    return { criteria };
  } catch (error) {
    if (error instanceof UserError) return { abort: error.message };
    throw error;
  }
}

/** After --prepare: the failure line when the site did not come up in time (undefined: go on). */
async function siteDown(
  options: BisectOptions,
  signal?: AbortSignal,
): Promise<{ step: string; message: string } | undefined> {
  if (options.waitForSite <= 0) return undefined;
  const config = await loadConfig(options.config).catch(() => undefined);
  if (!config || await waitForSite(config.base_url, options.waitForSite, signal)) return undefined;
  return {
    step: "wait for site",
    message: `${redactUrl(config.base_url)} did not answer within ${options.waitForSite} s`,
  };
}

/** Bench this commit into a run directory named after it; a failed step becomes evidence, not an error. */
async function benchCommit(
  options: BisectOptions,
  deps: BisectDeps,
  commit: string,
  evidence: BisectEvidence,
): Promise<string | undefined> {
  let runDir: string | undefined;
  try {
    const result = await runBench({
      ...options,
      tag: commit,
      runDir: join(options.out, runDirName(new Date(), commit)),
    }, deps);
    runDir = result.runDir;
    evidence.summary = result.outcome.summary;
  } catch (error) {
    if (error instanceof BenchStepError) {
      runDir = error.runDir;
      evidence.failure = { step: error.step, message: error.reason, exitCode: error.exitCode };
      evidence.summary = await locateSummary(error.runDir).then((l) => l.summary).catch(() => undefined);
    } else if (error instanceof UserError) {
      evidence.failure = { step: "setup", message: error.message, exitCode: error.exitCode };
    } else throw error;
  }
  return runDir;
}

/** The criteria this commit's run crossed: against the baseline (compare) and --threshold. */
async function judgeRunDir(
  options: BisectOptions,
  criteria: string[],
  runDir: string,
  summary: RunSummary,
  evidence: BisectEvidence,
): Promise<void> {
  if (options.baseline) {
    const outcome = await compareRuns(options.baseline, runDir, {
      failOn: criteria,
      minEffect: options.minEffect,
    });
    evidence.hits = outcome.hits;
    evidence.unjudged = outcome.unjudged;
  }
  // Judged by --threshold alone (the verdict bench printed also counts the config's thresholds).
  const silent = () => {};
  evidence.crossed = judgeRun(summary, prepareThresholds(undefined, options.threshold), silent)?.crossed;
}

export async function runBisect(options: BisectOptions, deps: BisectDeps): Promise<StepDecision> {
  const log = deps.log ?? ((line: string) => console.error(line));
  const setup = await checkSetup(options);
  if ("abort" in setup) {
    return { exitCode: BISECT_EXIT.abort, verdict: "abort", reason: setup.abort, commit: "" };
  }
  const commit = await (deps.commit ?? gitCommit)();
  const evidence: BisectEvidence = {};
  if (options.prepare) {
    log(`bisect: ${commit}: prepare: ${options.prepare}`);
    evidence.prepareFailure = await runPrepare(options.prepare, options.prepareTimeout, deps.stop);
  }
  if (evidence.prepareFailure) return { ...decideBisect(evidence), commit };
  const down = await siteDown(options, deps.stop?.signal);
  if (down) return { ...decideBisect({ failure: down }), commit };
  const runDir = await benchCommit(options, deps, commit, evidence);
  if (evidence.summary && runDir && !evidence.failure) {
    await judgeRunDir(options, setup.criteria, runDir, evidence.summary, evidence);
  }
  return { ...decideBisect(evidence), runDir, commit };
}

/**
 * `bisect` as `git bisect run` calls it: judge the checked-out commit, one line, and the exit code git
 * reads. A stop signal ends the step with 130 / 143 / 129, which `git bisect run` takes (as any code
 * ≥ 128) as "stop the bisection".
 */
export async function judgeCommit(options: BisectOptions, deps: BisectDeps): Promise<void> {
  const stop = deps.stop ?? new StopRequest();
  const release = stop.listen();
  let decision: StepDecision;
  try {
    decision = await runBisect(options, { ...deps, stop });
  } catch (error) {
    // An unexpected failure must not mark a commit bad or skip it silently: stop the bisect.
    throw new UserError(
      `bisect: internal error, stopping the bisect: ${(error as Error)?.message ?? error}`,
      BISECT_EXIT.abort,
    );
  } finally {
    release();
  }
  if (stop.stoppedBy) {
    throw new UserError(
      `bisect: interrupted by ${stopName(stop.stoppedBy)} — the bisection stops here, no verdict${
        decision.runDir ? `; run dir ${decision.runDir}` : ""
      }`,
      stop.exitCode,
    );
  }
  const line = `bisect: ${
    decision.commit ? `${decision.commit} ` : ""
  }${decision.verdict} (exit ${decision.exitCode}) — ${decision.reason}${
    decision.runDir ? `; run dir ${decision.runDir}` : ""
  }`;
  if (decision.exitCode === BISECT_EXIT.good) console.log(line);
  else throw new UserError(line, decision.exitCode);
}
