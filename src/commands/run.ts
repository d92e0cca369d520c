/**
 * `moodle-load run`: config + flags → plan → login phase → paced measured run → tables and files.
 * Exit codes: 0 done; 2 bad flags or config; 3 no user could log in; 130 interrupted (Ctrl-C, after
 * writing everything measured).
 */
import { dirname, resolve } from "node:path";
import { ConfigError, loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { EXIT, UserError } from "../errors.ts";
import { LiveBlock } from "../output/live.ts";
import { renderLoginTable } from "../moodle/login_phase.ts";
import { buildRunSummary, type FullRunSummary, intervalSummary } from "../results/summary.ts";
import type { IntervalSummary } from "../results/summary_types.ts";
import {
  fileTimestamp,
  ProgressCsv,
  RequestLog,
  runFileNames,
  type RunFiles,
  writeSummaryFiles,
} from "../results/files.ts";
import { type IntervalReport, LATE_BOUND_MS, runEngine } from "../engine/engine.ts";
import { planRun } from "../config/plan.ts";
import { Schedule } from "../engine/schedule.ts";
import { randomSeed, TargetPicker } from "../engine/targets.ts";
import { compileEndpoints, usesPools } from "../config/endpoints.ts";
import { emptyPoolMessage, emptyPools } from "../config/pools.ts";
import type { EndpointSpec } from "../engine/targets.ts";
import type { LoginOutcome, VirtualUser } from "../engine/types.ts";
import { tlsHint } from "../moodle/login_outcome.ts";
import type { UserBackend } from "../moodle/backend.ts";
import { endpointTable, finalTable, progressBlock, stdoutSummary } from "./run_view.ts";
import { type Dashboard, type DashboardFlags, startRunDashboard } from "../dashboard/mod.ts";

/** No user could log in: nothing to measure. */

export interface RunOptions extends DashboardFlags {
  config: string;
  rpm?: number;
  duration?: number;
  concurrency: number;
  statsDir: string;
  insecure: boolean;
  caCert?: string;
  loginTimeout: number;
  requestTimeout: number;
  progress: number;
  warmup: number;
  seed?: number;
  loginConcurrency: number;
  maxRetries: number;
  requestLog?: string;
  quiet: boolean;
  json: boolean;
  profile?: string;
  /** Extra line shown in the header (the demo says what it is). */
  banner?: string;
}

export interface RunDeps {
  backend: UserBackend;
  version: string;
  /** Where human output goes; default stdout (stderr under --json). */
  out?: { writeSync(p: Uint8Array): number; isTerminal(): boolean };
}

const encoder = new TextEncoder();

async function readConfig(file: string): Promise<Config> {
  try {
    return await loadConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const [first, ...rest] = error.problems;
    const more = rest.length ? ` (and ${rest.length} more)` : "";
    const fix = first.message.startsWith("cannot read")
      ? "check the --config path"
      : `fix the config; \`moodle-load config check ${file}\` lists every problem`;
    throw new UserError(
      `${file}: ${first.path}: ${first.message}${more} — ${fix}`,
      EXIT.usage,
    );
  }
}

function noUsersMessage(outcomes: readonly LoginOutcome[], caCertGiven: boolean): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    counts.set(o.reason ?? "unexpected_page", (counts.get(o.reason ?? "unexpected_page") ?? 0) + 1);
  }
  const reasons = [...counts].map(([reason, n]) => `${reason} ${n}`).join(", ");
  const full = outcomes.find((o) => o.detail)?.detail;
  const detail = full && full.length > 200 ? `${full.slice(0, 199)}…` : full;
  const hint = /TLS|certificate/i.test(full ?? "")
    ? tlsHint(full ?? "", caCertGiven)
    : counts.has("wrong_credentials") && counts.size === 1
    ? "check the users' passwords in the config"
    : "check base_url, the site's reachability and the users' passwords";
  return `no user could log in (${outcomes.length} tried: ${reasons}${
    detail ? `; ${detail}` : ""
  }) — ${hint}`;
}

/** The picker's users are the logged-in ones: per-user pools are indexed by them, not by the config's users. */
function pickerEndpoints(config: Config, endpoints: EndpointSpec[], loggedIn: VirtualUser[]): EndpointSpec[] {
  if (!usesPools(config.urls, config.parameters)) return endpoints;
  return compileEndpoints(config.base_url, config.urls, config.parameters, {
    usernames: loggedIn.map((user) => user.username),
    pools: config.pools,
  });
}

export async function runLoad(options: RunOptions, deps: RunDeps): Promise<FullRunSummary | undefined> {
  const config = await readConfig(options.config);
  const plan = planRun(config, {
    rpm: options.rpm,
    duration: options.duration,
    warmup: options.warmup,
    profile: options.profile,
  });
  const seed = options.seed ?? config.seed ?? randomSeed();
  const empty = emptyPools(config, config.users.map((user) => user.username));
  if (empty.length) throw new UserError(emptyPoolMessage(empty, config.users.length), EXIT.usage);
  const endpoints = compileEndpoints(config.base_url, config.urls, config.parameters, {
    usernames: config.users.map((user) => user.username),
    pools: config.pools,
  });
  const caCertPem = options.caCert === undefined ? undefined : await readCaCert(options.caCert);

  const outStream = deps.out ?? (options.json ? Deno.stderr : Deno.stdout);
  const say = (text: string) => outStream.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n"));
  const tty = (() => {
    try {
      return outStream.isTerminal();
    } catch {
      return false;
    }
  })();

  await outputFile(options.statsDir, "--stats-dir", () => Deno.mkdir(options.statsDir, { recursive: true }));
  if (options.requestLog) await checkFolderOf(options.requestLog, "--request-log");

  const controller = new AbortController();
  // First Ctrl-C: stop scheduling, drain, write the files. A second one: leave at once.
  const onSigint = () => {
    if (controller.signal.aborted) Deno.exit(EXIT.interrupted);
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSigint);
  const pool = await deps.backend.createUsers(config, {
    insecure: options.insecure,
    caCertPem,
    loginTimeoutMs: options.loginTimeout * 1000,
    requestTimeoutMs: options.requestTimeout * 1000,
    maxRetries: options.maxRetries,
  });
  let dashboard: Dashboard | undefined;
  try {
    dashboard = startRunDashboard(options, {
      baseUrl: config.base_url,
      endpointNames: endpoints.map((e) => e.name),
      warmupSec: plan.warmupSec,
    }, say);
    if (options.banner) say(options.banner);
    say(
      `moodle-load run: ${config.base_url} — ${plan.kind} ${describeRate(plan)} for ${plan.durationSec} s` +
        `${plan.warmupSec > 0 ? ` after a ${plan.warmupSec} s warm-up (not counted)` : ""}, ` +
        `concurrency ${options.concurrency}, ${config.users.length} users, seed ${seed}`,
    );
    if (options.concurrency > config.users.length) {
      say(
        `note: --concurrency ${options.concurrency} is more than the ${config.users.length} users: the run is ` +
          `user-bound (one request in flight per Moodle session, at most ${config.users.length} at once)`,
      );
    }
    say(`Logging in ${pool.users.length} users (${options.loginConcurrency} at a time)…`);
    const outcomes = await deps.backend.loginAll(pool.users, {
      concurrency: options.loginConcurrency,
      signal: controller.signal,
    });
    if (controller.signal.aborted) {
      throw new UserError("interrupted during the login phase — nothing measured", EXIT.interrupted);
    }
    say(renderLoginTable(outcomes));
    const loggedIn: VirtualUser[] = pool.users.filter((_, index) => outcomes[index]?.ok);
    if (loggedIn.length === 0) {
      throw new UserError(noUsersMessage(outcomes, caCertPem !== undefined), EXIT.noUsers);
    }
    if (loggedIn.length < options.concurrency && loggedIn.length < config.users.length) {
      say(`note: only ${loggedIn.length} users logged in: at most ${loggedIn.length} requests in flight`);
    }

    const files = runFileNames(options.statsDir, fileTimestamp(), options.requestLog);
    const progressCsv = await outputFile(
      files.progress,
      "--stats-dir",
      () => ProgressCsv.create(files.progress),
    );
    const requestLog = files.requestLog
      ? await outputFile(files.requestLog, "--request-log", () => RequestLog.create(files.requestLog!))
      : undefined;
    const live = new LiveBlock(tty, outStream as typeof Deno.stdout);
    const intervals: IntervalSummary[] = [];
    const onInterval = (report: IntervalReport) => {
      const row = intervalSummary(report);
      intervals.push(row);
      progressCsv.append(row);
      requestLog?.flush();
      if (!options.quiet && !report.drain) {
        live.update(
          progressBlock(report, row, { durationSec: plan.durationSec, warmupSec: plan.warmupSec }, tty),
        );
        if (!tty) live.commit();
      }
    };

    let result;
    try {
      result = await runEngine({
        schedule: new Schedule(plan.segments),
        warmupSec: plan.warmupSec,
        users: loggedIn,
        picker: new TargetPicker(pickerEndpoints(config, endpoints, loggedIn), loggedIn.length, seed),
        concurrency: options.concurrency,
        reloginConcurrency: options.loginConcurrency,
        requestTimeoutMs: options.requestTimeout * 1000,
        graceMs: Math.min(options.requestTimeout * 1000, 15_000),
        progressSec: options.progress,
        onInterval,
        onRequest: requestLog?.write,
        onSecond: dashboard?.onSecond,
        signal: controller.signal,
      });
    } finally {
      await progressCsv.close();
      requestLog?.close();
    }
    live.commit();
    const summary = buildRunSummary(result, {
      version: deps.version,
      baseUrl: config.base_url,
      seed,
      durationSec: plan.durationSec,
      warmupSec: plan.warmupSec,
      concurrency: options.concurrency,
      users: config.users.length,
      lateBoundMs: LATE_BOUND_MS,
      schedule: {
        kind: plan.kind,
        segments: plan.measured.map((s) => ({
          duration_sec: s.durationSec,
          start_rpm: s.startRate * 60,
          end_rpm: s.endRate * 60,
        })),
      },
      logins: outcomes,
      endpoints,
      intervals,
    });
    await writeSummaryFiles(files, summary);
    dashboard?.finish();
    say("");
    say(finalTable(summary));
    say("");
    say(endpointTable(summary));
    say("");
    say(filesLine(files));
    console.log(
      JSON.stringify(stdoutSummary(summary, files.summaryJson), null, options.json ? 2 : undefined),
    );
    if (summary.interrupted) {
      throw new UserError(
        `interrupted — the files hold what was measured (${files.summaryJson})`,
        EXIT.interrupted,
      );
    }
    return summary;
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
    pool.close();
    await dashboard?.close();
  }
}

function describeRate(plan: ReturnType<typeof planRun>): string {
  if (plan.kind === "constant") return `${plan.measured[0].startRate * 60} rpm`;
  const rates = plan.measured.flatMap((s) => [s.startRate * 60, s.endRate * 60]);
  return `${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)} rpm`;
}

function filesLine(files: RunFiles): string {
  return ["Files:", files.progress, files.summaryCsv, files.endpointsCsv, files.summaryJson, files.requestLog]
    .filter(Boolean).join("\n  ");
}

async function readCaCert(file: string): Promise<string> {
  try {
    const pem = await Deno.readTextFile(file);
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
      throw new UserError(
        `--ca-cert ${file}: not a PEM certificate (no "BEGIN CERTIFICATE" line)`,
        EXIT.usage,
      );
    }
    return pem;
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`--ca-cert ${file}: cannot read it (${(error as Error).message})`, EXIT.usage);
  }
}

/** Create an output file or directory; a failure is the user's to fix (path, permissions). */
async function outputFile<T>(path: string, flag: string, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (error) {
    throw new UserError(
      `${flag}: cannot write ${path} (${
        (error as Error).message
      }) — choose another path or fix its permissions`,
    );
  }
}

/** Before the (possibly long) login phase: the folder a file will be created in exists. */
async function checkFolderOf(file: string, flag: string): Promise<void> {
  const folder = dirname(resolve(file));
  const info = await Deno.stat(folder).catch(() => undefined);
  if (!info?.isDirectory) {
    throw new UserError(
      `${flag} ${file}: the folder ${folder} does not exist — create it or choose another path`,
      EXIT.usage,
    );
  }
}
