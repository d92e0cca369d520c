/**
 * `moodle-load run`: config + flags → plan → login phase → paced measured run → tables and files.
 * Exit codes: 0 done; 1 a result file could not be written (the results are still on stdout); 2 bad
 * flags or config; 3 no user could log in; 130 / 143 / 129 stopped by SIGINT / SIGTERM / SIGHUP
 * (after writing everything measured).
 */
import { dirname, resolve } from "node:path";
import { ConfigError, configUserError, loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { EXIT, UserError } from "../errors.ts";
import { isTerminal, LiveBlock, terminalColumns } from "../output/live.ts";
import { parseByteSize } from "../output/format.ts";
import { type ErrorExamples, type ErrorReasonCounts, ErrorReasons } from "../results/error_reasons.ts";
import { type FileProblem, type OutputFs, realOutputFs } from "../output/atomic.ts";
import { checkFreeSpace } from "../output/free_space.ts";
import { groupLoginFailures, renderLoginTable } from "../moodle/login_phase.ts";
import { redactUrl } from "../util/redact.ts";
import { buildRunSummary, type FullRunSummary, intervalSummary } from "../results/summary.ts";
import type { IntervalSummary } from "../results/summary_types.ts";
import {
  estimateRunBytes,
  type OpenRunFiles,
  openRunFiles,
  type RunFiles,
  writeSummaryFiles,
} from "../results/files.ts";
import { fileStamp } from "../results/stamp.ts";
import { type IntervalReport, LATE_BOUND_MS, type LiveStats, runEngine } from "../engine/engine.ts";
import type { TimelinePoint } from "../engine/timeline.ts";
import { planRun } from "../config/plan.ts";
import { Schedule } from "../engine/schedule.ts";
import { randomSeed, TargetPicker } from "../engine/targets.ts";
import { compileEndpoints, usesPools } from "../config/endpoints.ts";
import { emptyPoolMessage, emptyPools } from "../config/pools.ts";
import type { EndpointSpec, RequestPicker } from "../engine/targets.ts";
import { MixedPicker, MixedSchedule } from "../engine/mixed_schedule.ts";
import type { LoginOutcome, VirtualUser } from "../engine/types.ts";
import { tlsHint } from "../moodle/login_outcome.ts";
import type { UserBackend, UserOptions } from "../moodle/backend.ts";
import { collectRunMetadata } from "./run_metadata.ts";
import type { ConnectionSettings } from "../pg/connection.ts";
import { stopName, StopRequest } from "../util/stop_request.ts";
import { journeyRunner, type JourneySetup, journeySetup } from "../journey/setup.ts";
import { withJourneyPreset } from "../journey/presets.ts";
import { mixRun } from "../journey/mix.ts";
import { journeySummaries } from "../results/journeys.ts";
import { ShardRun, type ShardRunOptions } from "./run_shard.ts";
import {
  endpointTable,
  errorReasonTable,
  finalTable,
  liveJourneyRows,
  stallWarning,
  stdoutSummary,
} from "./run_view.ts";
import { fitWidth, LiveView, wrapAtSpaces } from "./run_live.ts";
import { journeyTables } from "../output/journey_table.ts";
import { JourneyStats } from "../engine/journey_stats.ts";
import { type Dashboard, type DashboardFlags, startRunDashboard } from "../dashboard/mod.ts";

type RunPlan = ReturnType<typeof planRun>;
type OutStream = { writeSync(p: Uint8Array): number; isTerminal(): boolean };

/** Longest wait for the requests in flight after a stop (or the request timeout, when shorter). */
const GRACE_CAP_MS = 15_000;

export interface RunOptions extends ShardRunOptions, DashboardFlags {
  config: string;
  rpm?: number;
  duration?: number;
  concurrency: number;
  statsDir: string;
  insecure: boolean;
  caCert?: string;
  loginTimeout: number;
  /** Recorded in the summary's metadata (bench names its run directory after it too). */
  tag?: string;
  requestTimeout: number;
  progress: number;
  warmup: number;
  seed?: number;
  loginConcurrency: number;
  maxRetries: number;
  /** `--max-body` in bytes; default the config's `max_body`, else 64 MiB. */
  maxBody?: number;
  /** Ask for gzip/deflate/br as a browser does; `--no-compression` = false (default true). */
  compression?: boolean;
  requestLog?: string;
  quiet: boolean;
  json: boolean;
  profile?: string;
  /** Extra line shown in the header (the demo says what it is). */
  banner?: string;
  /** `--journey NAME`: run this built-in journey (src/journey/presets.ts) instead of the config's mix. */
  journey?: string;
  /** `--ipm N`: journey iterations per minute (src/journey/mix.ts: beside --rpm for the urls). */
  ipm?: number;
}

export interface RunDeps {
  backend: UserBackend;
  version: string;
  /** Where human output goes; default stdout (stderr under --json). */
  out?: OutStream;
  /** The stop state when the caller (bench, bisect, demo) owns the stop signals; default: run's own. */
  stop?: StopRequest;
  /** The file system the result files go to (tests pass one whose writes fail). */
  fs?: OutputFs;
  /** The Moodle database, for the metadata's Moodle and PostgreSQL versions (bench passes its connection). */
  siteDb?: ConnectionSettings;
}

const encoder = new TextEncoder();

async function readConfig(file: string, workloadGiven: boolean): Promise<Config> {
  try {
    return await loadConfig(file, { workloadGiven });
  } catch (error) {
    throw error instanceof ConfigError ? configUserError(error) : error;
  }
}

function noUsersMessage(outcomes: readonly LoginOutcome[], caCertGiven: boolean): string {
  const groups = groupLoginFailures(outcomes);
  const reasons = groups.map((group) => `${group.reason} ${group.count}`).join(", ");
  const full = outcomes.find((o) => o.detail)?.detail;
  const detail = full && full.length > 200 ? `${full.slice(0, 199)}…` : full;
  const hint = /TLS|certificate/i.test(full ?? "")
    ? tlsHint(full ?? "", caCertGiven)
    : groups.length === 1 && groups[0].reason === "wrong_credentials"
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

/** What the run has got to: a second stop signal says from it what was and was not written. */
interface RunState {
  phase: "login" | "measure" | "write";
  files?: OpenRunFiles;
  /** Summary files written so far (phase "write"). */
  written: string[];
}

/**
 * The run as a pipeline: read the config → check the output paths → log in → open the files →
 * measure → summarize → write and print. One stop signal (Ctrl-C, SIGTERM, SIGHUP) stops it at
 * any step; what was measured is still written. `deps.stop` set: the caller owns the signals.
 */
export async function runLoad(options: RunOptions, deps: RunDeps): Promise<FullRunSummary | undefined> {
  const setup = await prepareRun(options);
  // Read before the load and awaited after it: never on the measured path.
  const metadata = collectRunMetadata({
    configFile: options.config,
    schedule: setup,
    tag: options.tag,
    site: deps.backend.siteFacts?.(setup.config, userOptions(options, setup)),
    db: deps.siteDb,
  });
  const out = humanOutput(options, deps);
  await checkOutputs(options, setup);
  const fs = deps.fs ?? realOutputFs;
  const stop = deps.stop ?? new StopRequest();
  const release = deps.stop ? () => {} : stop.listen();
  const state: RunState = { phase: "login", written: [] };
  const previousLine = stop.hardStopLine;
  stop.hardStopLine = () => hardStopLine(state);
  // Logins in flight are cut off by a stop; measured requests are not (they drain with the grace).
  const loginStop = new AbortController();
  stop.onStop(() => state.phase === "login" && loginStop.abort());
  const pool = await deps.backend.createUsers(setup.config, {
    ...userOptions(options, setup),
    signal: loginStop.signal,
  });
  let dashboard: Dashboard | undefined;
  try {
    dashboard = startRunDashboard(options, {
      baseUrl: redactUrl(setup.config.base_url),
      endpointNames: setup.endpoints.map((e) => e.name),
      warmupSec: setup.plan.warmupSec,
    }, out.say);
    announce(options, setup, out.say);
    const logins = await loginPhase(options, setup, pool.users, deps.backend, stop, out.say);
    state.phase = "measure";
    state.files = await openFiles(options, fs);
    const measured = await measure(options, setup, logins.users, state.files, stop, out, dashboard);
    dashboard?.finish();
    state.phase = "write";
    const summary = summarize(options, setup, deps.version, measured, logins.outcomes);
    summary.metadata = await metadata;
    const problems = await writeSummaryFiles(state.files.names, summary, fs);
    state.written.push(
      ...summaryFileList(state.files.names).filter((f) => !problems.some((p) => p.path === f)),
    );
    printResults(summary, state.files, problems, options, out.say);
    return finishRun(summary, state.files, problems, stop);
  } finally {
    stop.hardStopLine = previousLine;
    release();
    pool.close();
    await dashboard?.close();
  }
}

interface RunSetup {
  config: Config;
  /** Journeys (config or --journey): each scheduled item is one iteration. */
  journeys?: JourneySetup;
  /** Urls beside journeys (mix.ts): the urls' share of the schedule (1 without journeys). */
  urlShare: number;
  plan: RunPlan;
  seed: number;
  /** `--shard I/N`: this process runs its stripe of the run, with its slice of the users (run_shard.ts). */
  shard: ShardRun;
  endpoints: ReturnType<typeof compileEndpoints>;
  caCertPem?: string;
}

async function prepareRun(options: RunOptions): Promise<RunSetup> {
  let fullConfig = await readConfig(options.config, options.journey !== undefined);
  let journeys: JourneySetup | undefined;
  let planRpm: number | undefined;
  let urlShare = 1;
  try {
    if (options.journey) fullConfig = withJourneyPreset(fullConfig, options.journey);
    const mixed = mixRun(fullConfig, { rpm: options.rpm, ipm: options.ipm, preset: !!options.journey });
    fullConfig = mixed.config;
    planRpm = mixed.planRpm;
    urlShare = mixed.urlShare;
    journeys = journeySetup(fullConfig, mixed.urlJourneys);
  } catch (error) {
    throw new UserError(`${(error as Error).message}`, EXIT.usage);
  }
  const plan = planRun(fullConfig, {
    rpm: planRpm,
    duration: options.duration,
    warmup: options.warmup,
    profile: options.profile,
  });
  const seed = options.seed ?? fullConfig.seed ?? randomSeed();
  const shard = await ShardRun.plan(options, fullConfig, plan, seed);
  const config = shard.config;
  const empty = emptyPools(config, config.users.map((user) => user.username));
  if (empty.length) throw new UserError(emptyPoolMessage(empty, config.users.length), EXIT.usage);
  return {
    config,
    journeys,
    urlShare,
    plan,
    seed,
    shard,
    endpoints: journeys?.stepEndpoints ??
      compileEndpoints(config.base_url, config.urls, config.parameters, {
        usernames: config.users.map((user) => user.username),
        pools: config.pools,
      }),
    caCertPem: options.caCert === undefined ? undefined : await readCaCert(options.caCert),
  };
}

interface HumanOutput {
  stream: OutStream;
  tty: boolean;
  say(text: string): void;
}

/** Tables and progress go to stdout, or to stderr under --json (stdout then holds only the JSON). */
function humanOutput(options: RunOptions, deps: RunDeps): HumanOutput {
  const stream = deps.out ?? (options.json ? Deno.stderr : Deno.stdout);
  const tty = isTerminal(stream);
  return {
    stream,
    tty,
    say: (text) => {
      // A terminal gets long lines (the banner, notes) broken at spaces: the terminal would break them anywhere.
      const lines = tty ? wrapAtSpaces(text, terminalColumns() ?? Infinity) : text;
      stream.writeSync(encoder.encode(lines.endsWith("\n") ? lines : lines + "\n"));
    },
  };
}

/** Before the (possibly long) login phase: the output folders exist and, it seems, have room. */
async function checkOutputs(options: RunOptions, setup: RunSetup): Promise<void> {
  await outputFile(options.statsDir, "--out", () => Deno.mkdir(options.statsDir, { recursive: true }));
  if (options.requestLog) await checkFolderOf(options.requestLog, "--request-log");
  const needs = estimateRunBytes(setup.plan, options, setup.endpoints.length);
  const checks: [string, string, number][] = [["--out", options.statsDir, needs.statsDirBytes]];
  if (options.requestLog) {
    checks.push(["--request-log", dirname(resolve(options.requestLog)), needs.requestLogBytes]);
  }
  for (const [flag, dir, bytes] of checks) {
    const warning = await checkFreeSpace(dir, bytes);
    if (warning) console.error(`moodle-load: warning: ${flag} ${warning}`);
  }
}

function userOptions(options: RunOptions, setup: RunSetup): UserOptions {
  return {
    insecure: options.insecure,
    caCertPem: setup.caCertPem,
    loginTimeoutMs: options.loginTimeout * 1000,
    requestTimeoutMs: options.requestTimeout * 1000,
    maxRetries: options.maxRetries,
    maxBodyBytes: options.maxBody ??
      (setup.config.max_body === undefined ? undefined : parseByteSize(setup.config.max_body)),
    compression: options.compression ?? true,
  };
}

function announce(
  options: RunOptions,
  { config, plan, seed, shard }: RunSetup,
  say: (text: string) => void,
): void {
  if (options.banner) say(options.banner);
  say(
    `moodle-load run: ${redactUrl(config.base_url)} — ${plan.kind} ${
      describeRate(plan)
    } for ${plan.durationSec} s` +
      `${plan.warmupSec > 0 ? ` after a ${plan.warmupSec} s warm-up (not counted)` : ""}, ` +
      `concurrency ${options.concurrency}, ${config.users.length} users, seed ${seed}`,
  );
  const shardLine = shard.describe(new Schedule(plan.segments).totalCount);
  if (shardLine) say(shardLine);
  if (options.concurrency > config.users.length) {
    say(
      `note: --concurrency ${options.concurrency} is more than the ${config.users.length} users: the run is ` +
        `user-bound (one request in flight per Moodle session, at most ${config.users.length} at once)`,
    );
  }
}

/** Log every user in; a stop here ends the run at once (nothing measured, no file written). */
async function loginPhase(
  options: RunOptions,
  setup: RunSetup,
  users: VirtualUser[],
  backend: UserBackend,
  stop: StopRequest,
  say: (text: string) => void,
): Promise<{ users: VirtualUser[]; outcomes: LoginOutcome[] }> {
  say(`Logging in ${users.length} users (${options.loginConcurrency} at a time)…`);
  const outcomes = await backend.loginAll(users, {
    concurrency: options.loginConcurrency,
    signal: stop.signal,
  });
  if (stop.stoppedBy) {
    throw new UserError(
      `interrupted by ${
        stopName(stop.stoppedBy)
      } during the login phase, before measuring — nothing measured, ` +
        `no file written`,
      stop.exitCode,
    );
  }
  say(renderLoginTable(outcomes));
  const loggedIn = users.filter((_, index) => outcomes[index]?.ok);
  if (loggedIn.length === 0) {
    throw new UserError(noUsersMessage(outcomes, setup.caCertPem !== undefined), EXIT.noUsers);
  }
  if (loggedIn.length < options.concurrency && loggedIn.length < setup.config.users.length) {
    say(`note: only ${loggedIn.length} users logged in: at most ${loggedIn.length} requests in flight`);
  }
  return { users: loggedIn, outcomes };
}

/** Claim this run's file names (never another run's) and open the files written as it goes. */
function openFiles(options: RunOptions, fs: OutputFs): Promise<OpenRunFiles> {
  return outputFile(
    options.statsDir,
    "--out",
    () =>
      openRunFiles(options.statsDir, fileStamp(new Date()), options.requestLog, fs, (problem) => {
        const what = problem.path === options.requestLog
          ? "request logging stopped (the file holds whole lines only)"
          : "no more progress rows in it";
        console.error(
          `moodle-load: cannot write ${problem.path}: ${problem.reason} — ${what}; the run goes on`,
        );
      }),
  );
}

interface Measured {
  result: Awaited<ReturnType<typeof runEngine>>;
  intervals: IntervalSummary[];
  /** Failures counted by class and reason (`error_reasons` in the summary), with an example of each. */
  reasons: ErrorReasonCounts;
  examples: ErrorExamples;
}

/** A stop during the measured run: say what happens now (drain, then the files). */
function announceStops(stop: StopRequest, live: LiveBlock, graceMs: number, out: HumanOutput): void {
  stop.onStop((signal) => {
    live.commit();
    out.say(
      `${stopName(signal)}: stopping — no new requests; waiting up to ${graceMs / 1000} s for those in ` +
        `flight, then writing the files (send it again to quit at once)`,
    );
  });
}

/** The run's picker: the url mix, the journeys, or both in one schedule (`--ipm` beside `--rpm`). */
function enginePicker(
  { config, endpoints, seed, journeys }: RunSetup,
  users: VirtualUser[],
  mixed: MixedSchedule | undefined,
): RequestPicker {
  if (!mixed || !journeys) {
    return new TargetPicker(
      journeys?.pickerEndpoints ?? pickerEndpoints(config, endpoints, users),
      users.length,
      seed,
    );
  }
  const urlCount = journeys.urlJourneys.size;
  // The journeys draw their own seeded sequence (another seed), apart from the urls'.
  return new MixedPicker(
    mixed,
    new TargetPicker(journeys.pickerEndpoints.slice(0, urlCount), users.length, seed),
    new TargetPicker(journeys.pickerEndpoints.slice(urlCount), users.length, (seed ^ 0x5f3759df) >>> 0),
  );
}

/** The engine's schedule and picker (this shard's stripe): urls, journeys, or both (--ipm beside --rpm). */
function scheduleAndPicker(setup: RunSetup, users: VirtualUser[]) {
  const { plan, journeys, shard, seed } = setup;
  const total = new Schedule(plan.segments);
  const mixed = journeys && journeys.urlJourneys.size > 0
    ? new MixedSchedule(total, setup.urlShare)
    : undefined;
  return {
    schedule: shard.schedule(mixed ?? total),
    picker: shard.picker(users, seed, () => enginePicker(setup, users, mixed)),
  };
}

/**
 * The terminal's live view (none under --quiet), with the journeys as they stand under the core tables,
 * and the 1-second hook it shares with the dashboard.
 */
function liveView(
  options: RunOptions,
  { plan, endpoints, journeys }: RunSetup,
  journeyStats: readonly JourneyStats[],
  out: HumanOutput,
  live: LiveBlock,
  dashboard?: Dashboard,
) {
  const view = options.quiet ? undefined : new LiveView({
    tty: out.tty,
    block: live,
    columns: terminalColumns,
    endpointNames: endpoints.map((e) => e.name),
    runSec: plan.durationSec + plan.warmupSec,
    warmupSec: plan.warmupSec,
    lateBoundMs: LATE_BOUND_MS,
  });
  view?.addSection((columns) => {
    const rows = liveJourneyRows(journeyStats, journeys?.urlJourneys ?? new Set());
    return rows.length ? fitWidth(journeyTables(rows), columns) : undefined;
  });
  const onSecond = dashboard || view?.tty
    ? (point: TimelinePoint, stats: LiveStats) => {
      dashboard?.onSecond(point, stats);
      view?.onSecond(point, stats);
    }
    : undefined;
  return { view, onSecond };
}

/** The paced run itself, with the live progress block; a stop drains for up to the grace. */
async function measure(
  options: RunOptions,
  setup: RunSetup,
  users: VirtualUser[],
  files: OpenRunFiles,
  stop: StopRequest,
  out: HumanOutput,
  dashboard?: Dashboard,
): Promise<Measured> {
  const { config, plan, seed, journeys, shard } = setup;
  const live = new LiveBlock(out.tty, out.stream as typeof Deno.stdout);
  const graceMs = Math.min(options.requestTimeout * 1000, GRACE_CAP_MS);
  announceStops(stop, live, graceMs, out);
  const intervals: IntervalSummary[] = [];
  const reasons = new ErrorReasons();
  const { schedule, picker } = scheduleAndPicker(setup, users);
  // Counted into by the engine, read by the live block.
  const journeyStats = journeys?.specs.map((spec) => new JourneyStats(spec)) ?? [];
  const { view, onSecond } = liveView(options, setup, journeyStats, out, live, dashboard);
  const onInterval = (report: IntervalReport) => {
    const row = intervalSummary(report);
    intervals.push(row);
    files.progress.append(row);
    files.requestLog?.flush();
    view?.onInterval(report, row);
  };
  try {
    const result = await runEngine({
      schedule,
      warmupSec: plan.warmupSec,
      users,
      picker,
      journeys: journeys && {
        specs: journeys.specs,
        stats: journeyStats,
        runner: runnerFor(journeys, config, users, seed, options.requestTimeout * 1000),
      },
      concurrency: options.concurrency,
      reloginConcurrency: options.loginConcurrency,
      requestTimeoutMs: options.requestTimeout * 1000,
      graceMs,
      progressSec: options.progress,
      onInterval,
      onSecond,
      onRequest: reasons.onRequest(
        view
          ? view.onRequest(shard.requestLog(files.requestLog?.write))
          : shard.requestLog(files.requestLog?.write),
      ),
      signal: stop.signal,
      ...await shard.waitForStart(out.say, stop.signal),
    });
    return { result, intervals, reasons: reasons.counts, examples: reasons.examples };
  } finally {
    files.progress.close();
    files.requestLog?.close();
    live.commit();
  }
}

function summarize(
  options: RunOptions,
  { config, plan, seed, endpoints, shard, journeys }: RunSetup,
  version: string,
  { result, intervals, reasons, examples }: Measured,
  logins: LoginOutcome[],
): FullRunSummary {
  const summary = buildRunSummary(result, {
    version,
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
    logins,
    endpoints,
    intervals,
  });
  if (Object.keys(reasons).length > 0) {
    summary.error_reasons = reasons;
    summary.error_examples = examples;
  }
  const journeyStats = result.journeys?.filter((j) => !journeys?.urlJourneys.has(j.spec.name)) ?? [];
  if (journeyStats.length) summary.journeys = journeySummaries(journeyStats);
  Object.assign(summary, shard.fields);
  return summary;
}

function runnerFor(
  journeys: JourneySetup,
  config: Config,
  users: VirtualUser[],
  seed: number,
  requestTimeoutMs: number,
) {
  try {
    return journeyRunner(journeys, config, users, { seed, requestTimeoutMs });
  } catch (error) {
    throw new UserError(`journeys: ${(error as Error).message}`, EXIT.usage);
  }
}

/** The tables and the JSON summary always reach stdout, whatever happened to the files. */
function printResults(
  summary: FullRunSummary,
  files: OpenRunFiles,
  problems: FileProblem[],
  options: RunOptions,
  say: (text: string) => void,
): void {
  const jsonWritten = !problems.some((p) => p.path === files.names.summaryJson);
  // On a terminal the tables fit its width (the narrow forms below 110 columns); logs get every column.
  const columns = isTerminal(Deno.stdout) && !options.json ? terminalColumns() : undefined;
  say("");
  say(finalTable(summary));
  say("");
  // With the results, not on stderr: an interrupted run's one line there stays the only one.
  const stalls = stallWarning(summary);
  if (stalls) say(`${stalls}\n`);
  say(endpointTable(summary, columns));
  say("");
  if (summary.journeys?.length) say(`${journeyTables(summary.journeys)}\n\n`);
  const reasonTable = errorReasonTable(summary, columns);
  if (reasonTable) say(`${reasonTable}\n`);
  say(filesLine(files, problems));
  const printed = {
    ...stdoutSummary(summary, files.names.summaryJson),
    summary_file: jsonWritten ? files.names.summaryJson : null,
  };
  // On a terminal the JSON would scroll the tables away: its file is named above. Scripts (stdout not a
  // terminal), --json, and a JSON file that could not be written still get it on stdout.
  if (options.json || !isTerminal(Deno.stdout) || !jsonWritten) {
    console.log(JSON.stringify(printed, null, options.json ? 2 : undefined));
  }
}

/** The exit: a stop signal's code first, then a file that could not be written (EXIT.failure). */
function finishRun(
  summary: FullRunSummary,
  files: OpenRunFiles,
  problems: FileProblem[],
  stop: StopRequest,
): FullRunSummary {
  const failed = [...problems, files.progress.failure, files.requestLog?.failure].filter((p) =>
    p !== undefined
  );
  for (const problem of problems) {
    console.error(`moodle-load: cannot write ${problem.path}: ${problem.reason}`);
  }
  const notWritten = failed.length
    ? `${failed.length} file${failed.length === 1 ? "" : "s"} could not be written (${
      failed.map((p) => p.path).join(", ")
    }) — free some space or choose another --out; the results are on stdout`
    : "";
  if (stop.stoppedBy) {
    throw new UserError(
      `interrupted by ${stopName(stop.stoppedBy)} — ${
        notWritten || `the files hold what was measured (${files.names.summaryJson})`
      }`,
      stop.exitCode,
    );
  }
  if (notWritten) throw new UserError(notWritten, EXIT.failure);
  return summary;
}

/** A second stop signal: one line on what was and was not written, then the process exits. */
function hardStopLine(state: RunState): string {
  if (state.phase === "login" || !state.files) return "stopped again before measuring — no file written";
  const files = state.files;
  files.requestLog?.flush();
  const written = [
    files.names.progress,
    ...(files.names.requestLog ? [files.names.requestLog] : []),
    ...state.written,
  ];
  const missing = summaryFileList(files.names).filter((f) => !state.written.includes(f));
  return `stopped again, at once — written: ${written.join(", ")}; not written: ${
    missing.join(", ") || "none"
  }`;
}

function summaryFileList(names: RunFiles): string[] {
  return [names.summaryJson, names.summaryCsv, names.endpointsCsv];
}

function describeRate(plan: RunPlan): string {
  if (plan.kind === "constant") return `${plan.measured[0].startRate * 60} rpm`;
  const rates = plan.measured.flatMap((s) => [s.startRate * 60, s.endRate * 60]);
  return `${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)} rpm`;
}

function filesLine(files: OpenRunFiles, problems: readonly FileProblem[]): string {
  const { names } = files;
  const incomplete = [files.progress.failure, files.requestLog?.failure].map((p) => p?.path);
  const failed = (path: string) =>
    problems.some((p) => p.path === path)
      ? " (not written)"
      : incomplete.includes(path)
      ? " (incomplete)"
      : "";
  return ["Files:", names.progress, names.summaryCsv, names.endpointsCsv, names.summaryJson, names.requestLog]
    .filter((f) => f !== undefined).map((f, i) => i === 0 ? f : `${f}${failed(f)}`).join("\n  ");
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

/** The folder a file will be created in exists. */
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
