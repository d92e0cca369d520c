/**
 * `moodle-load bench`: one measured run end to end into `runs/<ts>_<tag>/`. The real work (restore,
 * captures, load) comes in as `BenchDeps`, built from the other subcommands' implementation
 * functions by `deps.ts`; this file owns the run directory, manifest, report and the verdict.
 */
import { join } from "node:path";
import { ConfigError, configUserError, loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import type { RunSummary } from "../results/summary_types.ts";
import { writeFileAtomic } from "../output/atomic.ts";
import { EXIT, UserError } from "../errors.ts";
import { writeReport } from "./report.ts";
import { SUMMARY_FILE } from "../results/summary_file.ts";
import type { ThresholdVerdict } from "../thresholds/evaluate.ts";
import {
  judgeRun,
  prepareThresholds,
  type RunThresholds,
  thresholdsCrossedError,
} from "../thresholds/run_hook.ts";
import { type Manifest, redactArgv, redactText, runDirName, sha256Hex } from "../bench/manifest.ts";
import { type BenchOutcome, type CaptureTask, orchestrateBench } from "../bench/orchestrate.ts";
import { stopName, StopRequest } from "../util/stop_request.ts";
import { checkJunitPath } from "../output/junit_file.ts";
import { writeBenchJunit } from "../thresholds/junit.ts";

export type RestoreMode = "clean" | "drop";

/** A bench step failed: which one, and the exit code its error carried. */
export class BenchStepError extends UserError {
  constructor(
    message: string,
    exitCode: number,
    readonly step: string,
    readonly reason: string,
    readonly runDir: string,
  ) {
    super(message, exitCode);
    this.name = "BenchStepError";
  }
}

export interface BenchOptions {
  config: string;
  out: string;
  tag?: string;
  restore?: string;
  mode?: RestoreMode;
  containers?: string[];
  pgStats?: boolean;
  threshold?: string[];
  /** Write the thresholds as JUnit XML to this file (thresholds/junit.ts). */
  junit?: string;
  /** Exact run directory to use (bisect names it after the commit); default `<out>/<ts>_<tag>`. */
  runDir?: string;
  quiet?: boolean;
}

export interface BenchDeps {
  /** Warm-up + measured load, files into `runDir` (run's --out); `stop` ends it early. */
  load(runDir: string, stop?: StopRequest): Promise<RunSummary | undefined>;
  restore?(dump: string, mode: RestoreMode): Promise<void>;
  /** Docker capture into `runDir` until `signal` aborts. */
  docker?(containers: string[], runDir: string, tag: string, signal: AbortSignal): Promise<void>;
  /** Postgres capture into `runDir` until `signal` aborts. */
  pg?(runDir: string, tag: string, signal: AbortSignal): Promise<void>;
  argv: readonly string[];
  version: string;
  now?: () => Date;
  hostname?: () => string;
  log?: (line: string) => void;
  captureStartMs?: number;
  /** The stop state when the command owns the stop signals (benchCommand, bisectCommand). */
  stop?: StopRequest;
}

export interface BenchResult {
  runDir: string;
  outcome: BenchOutcome<RunSummary>;
  /** 0 ok; 99 thresholds crossed (the run itself worked). */
  exitCode: number;
  /** The thresholds' verdict, printed already (undefined without thresholds or without a summary). */
  thresholds?: ThresholdVerdict;
  reportPath?: string;
}

async function readConfig(file: string): Promise<{ config: Config; hash: string }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UserError(`${file} does not exist — pass --config FILE`, EXIT.usage);
    }
    throw error;
  }
  try {
    return { config: await loadConfig(file), hash: `sha256:${await sha256Hex(bytes)}` };
  } catch (error) {
    throw error instanceof ConfigError ? configUserError(error) : error;
  }
}

/** A fresh directory: `<out>/<ts>_<tag>`, with -2, -3… when it exists already. */
async function makeRunDir(out: string, name: string): Promise<string> {
  await Deno.mkdir(out, { recursive: true });
  for (let n = 1; n < 1000; n++) {
    const dir = join(out, n === 1 ? name : `${name}-${n}`);
    try {
      await Deno.mkdir(dir);
      return dir;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
  throw new UserError(`cannot create a run directory under ${out}`);
}

async function hasSummary(dir: string): Promise<boolean> {
  for await (const entry of Deno.readDir(dir)) if (entry.isFile && SUMMARY_FILE.test(entry.name)) return true;
  return false;
}

async function listFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && !entry.name.endsWith(".tmp")) names.push(entry.name);
  }
  return names.sort();
}

function safeHostname(deps: BenchDeps): string {
  try {
    return deps.hostname ? deps.hostname() : Deno.hostname();
  } catch {
    return "unknown";
  }
}

/** Refuse flags whose work was not provided (a bisect or test without the Postgres tools, say). */
function checkDeps(options: BenchOptions, deps: BenchDeps): void {
  if (options.restore && !deps.restore) {
    throw new UserError("--restore needs the Postgres utilities", EXIT.usage);
  }
  if (options.pgStats && !deps.pg) throw new UserError("--pg-stats needs the Postgres capture", EXIT.usage);
  if (options.containers?.length && !deps.docker) {
    throw new UserError("--containers needs docker-stats", EXIT.usage);
  }
}

/** The captures that run beside the load, writing into the run directory. */
function captureTasks(options: BenchOptions, deps: BenchDeps, runDir: string, tag: string): CaptureTask[] {
  const captures: CaptureTask[] = [];
  if (options.containers?.length && deps.docker) {
    const containers = options.containers;
    captures.push({ name: "docker-stats", run: (signal) => deps.docker!(containers, runDir, tag, signal) });
  }
  if (options.pgStats && deps.pg) {
    captures.push({ name: "pg-stats", run: (signal) => deps.pg!(runDir, tag, signal) });
  }
  return captures;
}

/** What the manifest needs that is known before the run starts. */
interface ManifestContext {
  options: BenchOptions;
  deps: BenchDeps;
  config: Config;
  hash: string;
  tag: string;
  started: Date;
  runDir: string;
  thresholds: RunThresholds | undefined;
}

/** Write manifest.json: what ran, where and how, secrets removed, with the steps so far. */
async function writeManifest(
  context: ManifestContext,
  summary: RunSummary | undefined,
  steps: Manifest["steps"],
  failedStep?: string,
): Promise<void> {
  const { options, deps, config } = context;
  const value: Manifest = {
    tool: "moodle-load",
    version: deps.version,
    tag: context.tag,
    host: safeHostname(deps),
    config: options.config,
    config_hash: context.hash,
    seed: summary?.seed,
    started_at: context.started.toISOString(),
    ended_at: (deps.now ?? (() => new Date()))().toISOString(),
    command: ["moodle-load", ...redactArgv(deps.argv)],
    base_url: redactText(config.base_url),
    ...(options.restore ? { restore: { dump: options.restore, mode: options.mode ?? "clean" } } : {}),
    ...(options.containers?.length ? { containers: options.containers } : {}),
    pg_stats: Boolean(options.pgStats),
    thresholds: context.thresholds?.thresholds.map((t) => t.source) ?? [],
    steps,
    ...(failedStep ? { failed_step: failedStep } : {}),
    files: (await listFiles(context.runDir)).filter((f) => f !== "manifest.json"),
  };
  await writeFileAtomic(join(context.runDir, "manifest.json"), JSON.stringify(value, null, 2) + "\n");
}

/** A failed step as the one error line: the step, why, what did not run, and what was kept. */
async function stepError(outcome: BenchOutcome<RunSummary>, runDir: string): Promise<BenchStepError> {
  const error = outcome.error;
  const code = error instanceof UserError ? error.exitCode : EXIT.failure;
  const what = error instanceof Error ? error.message : String(error);
  const kept = (await listFiles(runDir)).length;
  // Capture stop, manifest and report run even after a failure: name only the steps that did not.
  const skipped = outcome.steps.filter((s) => s.status === "skipped").map((s) => s.name);
  const after = skipped.length ? `later steps did not run (${skipped.join(", ")}); ` : "";
  return new BenchStepError(
    `bench: step "${outcome.failedStep}" failed: ${what} — ${after}${kept} file${
      kept === 1 ? "" : "s"
    } kept in ${runDir}`,
    code,
    outcome.failedStep!,
    what,
    runDir,
  );
}

export async function runBench(options: BenchOptions, deps: BenchDeps): Promise<BenchResult> {
  const log = deps.log ?? ((line: string) => console.error(line));
  const { config, hash } = await readConfig(options.config);
  const thresholds = prepareThresholds(config, options.threshold);
  await checkJunitPath(options.junit);
  checkDeps(options, deps);

  const tag = options.tag ?? "bench";
  const started = (deps.now ?? (() => new Date()))();
  const runDir = options.runDir
    ? (await Deno.mkdir(options.runDir, { recursive: true }), options.runDir)
    : await makeRunDir(options.out, runDirName(started, tag));
  log(`bench: run directory ${runDir}`);
  if (deps.stop) {
    deps.stop.hardStopLine = () =>
      `stopped again, at once — the files so far are in ${runDir}; its manifest and report may be missing`;
  }

  const context: ManifestContext = { options, deps, config, hash, tag, started, runDir, thresholds };
  let summary: RunSummary | undefined;
  const outcome = await orchestrateBench<RunSummary>({
    restore: options.restore ? () => deps.restore!(options.restore!, options.mode ?? "clean") : undefined,
    captures: captureTasks(options, deps, runDir, tag),
    load: async () => (summary = await deps.load(runDir, deps.stop)),
    measured: () => hasSummary(runDir),
    writeManifest: (steps, failedStep) => writeManifest(context, summary, steps, failedStep),
    report: () => writeReport(runDir, { quiet: true }),
    log,
    captureStartMs: deps.captureStartMs,
  });

  if (outcome.reportPath) log(`bench: report ${outcome.reportPath}`);
  if (outcome.failedStep) throw await stepError(outcome, runDir);
  const verdict = summary ? judgeRun(summary, thresholds, log) : undefined;
  if (options.junit && summary) await writeBenchJunit(options.junit, summary, verdict?.results ?? [], runDir);
  return {
    runDir,
    outcome,
    exitCode: verdict?.exitCode ?? 0,
    thresholds: verdict,
    reportPath: outcome.reportPath,
  };
}

/**
 * `bench` as the CLI runs it: the run, then exit 99 (one line) when a threshold was crossed. Owns the
 * stop signals: the load stops and drains, the captures stop, the manifest and report are written,
 * then 130 / 143 / 129.
 */
export async function benchWithThresholds(options: BenchOptions, deps: BenchDeps): Promise<void> {
  const stop = deps.stop ?? new StopRequest();
  const release = stop.listen();
  let result: BenchResult;
  try {
    result = await runBench(options, { ...deps, stop });
  } finally {
    release();
  }
  if (stop.stoppedBy) {
    throw new UserError(
      `bench: interrupted by ${stopName(stop.stoppedBy)} — what was measured is in ${result.runDir}`,
      stop.exitCode,
    );
  }
  if (result.thresholds?.crossed.length) {
    throw thresholdsCrossedError(result.thresholds, result.reportPath ?? result.runDir);
  }
}
