/**
 * `moodle-load bench`: one measured run end to end into `runs/<ts>_<tag>/`. The real work (restore,
 * captures, load) comes in as `BenchDeps`, built from the other subcommands' implementation
 * functions by `deps.ts`; this file owns the run directory, manifest, report and the verdict.
 */
import { join } from "node:path";
import { ConfigError, loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { resolveEndpoints } from "../config/resolve.ts";
import type { RunSummary } from "../results/summary_types.ts";
import { writeFileAtomic } from "../output/atomic.ts";
import { EXIT, UserError } from "../errors.ts";
import { writeReport } from "./report.ts";
import { SUMMARY_FILE } from "../results/summary_file.ts";
import { THRESHOLD_EXIT } from "../thresholds/evaluate.ts";
import { checkThresholdEndpoints, judgeThresholds, resolveThresholds } from "../thresholds/option.ts";
import { type Manifest, redactArgv, redactText, runDirName, sha256Hex } from "../bench/manifest.ts";
import { type BenchOutcome, type CaptureTask, orchestrateBench } from "../bench/orchestrate.ts";
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
  /** Warm-up + measured load, files into `runDir` (the engine's --stats-dir). */
  load(runDir: string): Promise<RunSummary | undefined>;
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
}

export interface BenchResult {
  runDir: string;
  outcome: BenchOutcome<RunSummary>;
  /** 0 ok; 99 thresholds crossed (the run itself worked). */
  exitCode: number;
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
    if (!(error instanceof ConfigError)) throw error;
    const first = error.problems[0];
    throw new UserError(
      `${file}: ${first?.path ?? ""}: ${first?.message ?? error.message} (moodle-load config check ${file})`,
      EXIT.usage,
    );
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

export async function runBench(options: BenchOptions, deps: BenchDeps): Promise<BenchResult> {
  const log = deps.log ?? ((line: string) => console.error(line));
  const now = deps.now ?? (() => new Date());
  const { config, hash } = await readConfig(options.config);
  const thresholdSources = { config: config.thresholds, flags: options.threshold };
  const thresholds = resolveThresholds(thresholdSources);
  checkThresholdEndpoints(thresholds, resolveEndpoints(config).map((e) => e.name));
  await checkJunitPath(options.junit);
  if (options.restore && !deps.restore) {
    throw new UserError("--restore needs the Postgres utilities", EXIT.usage);
  }
  if (options.pgStats && !deps.pg) throw new UserError("--pg-stats needs the Postgres capture", EXIT.usage);
  if (options.containers?.length && !deps.docker) {
    throw new UserError("--containers needs docker-stats", EXIT.usage);
  }

  const tag = options.tag ?? "bench";
  const started = now();
  const runDir = options.runDir
    ? (await Deno.mkdir(options.runDir, { recursive: true }), options.runDir)
    : await makeRunDir(options.out, runDirName(started, tag));
  log(`bench: run directory ${runDir}`);

  const captures: CaptureTask[] = [];
  if (options.containers?.length && deps.docker) {
    const containers = options.containers;
    captures.push({ name: "docker-stats", run: (signal) => deps.docker!(containers, runDir, tag, signal) });
  }
  if (options.pgStats && deps.pg) {
    captures.push({
      name: "pg-stats",
      run: (signal) => deps.pg!(runDir, tag, signal),
    });
  }

  let summary: RunSummary | undefined;
  const manifest = async (steps: Manifest["steps"], failedStep?: string) => {
    const value: Manifest = {
      tool: "moodle-load",
      version: deps.version,
      tag,
      host: safeHostname(deps),
      config: options.config,
      config_hash: hash,
      seed: summary?.seed,
      started_at: started.toISOString(),
      ended_at: now().toISOString(),
      command: ["moodle-load", ...redactArgv(deps.argv)],
      base_url: redactText(config.base_url),
      ...(options.restore ? { restore: { dump: options.restore, mode: options.mode ?? "clean" } } : {}),
      ...(options.containers?.length ? { containers: options.containers } : {}),
      pg_stats: Boolean(options.pgStats),
      thresholds: thresholds.map((t) => t.source),
      steps,
      ...(failedStep ? { failed_step: failedStep } : {}),
      files: (await listFiles(runDir)).filter((f) => f !== "manifest.json"),
    };
    await writeFileAtomic(join(runDir, "manifest.json"), JSON.stringify(value, null, 2) + "\n");
  };

  const outcome = await orchestrateBench<RunSummary>({
    restore: options.restore ? () => deps.restore!(options.restore!, options.mode ?? "clean") : undefined,
    captures,
    load: async () => (summary = await deps.load(runDir)),
    measured: () => hasSummary(runDir),
    writeManifest: manifest,
    report: () => writeReport(runDir, { quiet: true }),
    log,
    captureStartMs: deps.captureStartMs,
  });

  if (outcome.reportPath) log(`bench: report ${outcome.reportPath}`);
  if (outcome.failedStep) {
    const error = outcome.error;
    const code = error instanceof UserError ? error.exitCode : EXIT.failure;
    const what = error instanceof Error ? error.message : String(error);
    const kept = (await listFiles(runDir)).length;
    // Capture stop, manifest and report run even after a failure: name only the steps that did not.
    const skipped = outcome.steps.filter((s) => s.status === "skipped").map((s) => s.name);
    const after = skipped.length ? `later steps did not run (${skipped.join(", ")}); ` : "";
    throw new BenchStepError(
      `bench: step "${outcome.failedStep}" failed: ${what} — ${after}${kept} file${
        kept === 1 ? "" : "s"
      } kept in ${runDir}`,
      code,
      outcome.failedStep,
      what,
      runDir,
    );
  }
  let exitCode = 0;
  if (thresholds.length && summary) {
    const verdict = judgeThresholds(summary, thresholdSources, log);
    exitCode = verdict.exitCode;
    if (options.junit) await writeBenchJunit(options.junit, summary, verdict.results, runDir);
  } else if (options.junit && summary) await writeBenchJunit(options.junit, summary, [], runDir);
  return { runDir, outcome, exitCode, reportPath: outcome.reportPath };
}

/** CLI wrapper: exit 99 (one line) when thresholds were crossed. */
export async function benchCommand(options: BenchOptions, deps: BenchDeps): Promise<void> {
  const result = await runBench(options, deps);
  if (result.exitCode === THRESHOLD_EXIT) {
    throw new UserError(
      `thresholds crossed — see the list above and ${result.reportPath ?? result.runDir}`,
      THRESHOLD_EXIT,
    );
  }
}
