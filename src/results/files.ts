/**
 * The files a run leaves under `--out`: progress CSV (one row per interval, written as it
 * goes), summary CSV, endpoints CSV and summary JSON (written atomically at the end), and the
 * optional JSONL request log (written in batches, flushed at the end and on a stop signal).
 * A file that cannot be written is reported, never fatal: the results still reach stdout.
 */
import { csvDocument, csvLine, type CsvValue } from "../output/csv.ts";
import { type FileProblem, fileProblem, LineFile, type OutputFs } from "../output/atomic.ts";
import { createUnique } from "./stamp.ts";
import type { RunPlan } from "../config/plan.ts";
import { redactUrl } from "../util/redact.ts";
import { ERROR_CLASSES } from "../engine/types.ts";
import type { RequestLogEntry } from "../engine/engine.ts";
import type { Counts, IntervalSummary, Percentiles } from "./summary_types.ts";
import type { FullRunSummary } from "./summary.ts";

export interface RunFiles {
  progress: string;
  summaryCsv: string;
  endpointsCsv: string;
  summaryJson: string;
  requestLog?: string;
}

/** `<dir>/load_{progress,summary,endpoints}_<stamp>.{csv,json}`: the four files of one run share a stamp. */
export function runFileNames(statsDir: string, stamp: string, requestLog?: string): RunFiles {
  const dir = statsDir.replace(/\/+$/, "") || ".";
  return {
    progress: `${dir}/load_progress_${stamp}.csv`,
    summaryCsv: `${dir}/load_summary_${stamp}.csv`,
    endpointsCsv: `${dir}/load_endpoints_${stamp}.csv`,
    summaryJson: `${dir}/load_summary_${stamp}.json`,
    ...(requestLog ? { requestLog } : {}),
  };
}

/** Sizes measured on demo runs, rounded up: a progress row, a request-log line, the summary JSON's parts. */
const PROGRESS_ROW_BYTES = 500;
const REQUEST_LINE_BYTES = 400;
const SUMMARY_BASE_BYTES = 64 * 1024;
const SUMMARY_INTERVAL_BYTES = 1500;
const ENDPOINT_BYTES = 8 * 1024;

/**
 * About how much a run writes: under --out (progress rows, the summary JSON with its
 * histograms and intervals, the two summary CSVs) and into --request-log (one line per request).
 */
export function estimateRunBytes(
  plan: RunPlan,
  options: { progress: number; requestLog?: string },
  endpointCount: number,
): { statsDirBytes: number; requestLogBytes: number } {
  const seconds = plan.durationSec + plan.warmupSec;
  const intervals = Math.ceil(seconds / Math.max(1, options.progress)) + 2;
  const requests = plan.segments.reduce((sum, s) => sum + (s.startRate + s.endRate) / 2 * s.durationSec, 0);
  return {
    statsDirBytes: intervals * (PROGRESS_ROW_BYTES + SUMMARY_INTERVAL_BYTES) + SUMMARY_BASE_BYTES +
      endpointCount * ENDPOINT_BYTES,
    requestLogBytes: options.requestLog ? Math.ceil(requests) * REQUEST_LINE_BYTES : 0,
  };
}

/** The files a run writes as it goes, open; the summary files come at the end (writeSummaryFiles). */
export interface OpenRunFiles {
  names: RunFiles;
  progress: ProgressCsv;
  requestLog?: RequestLog;
}

/**
 * Claim a stamp no other run in `statsDir` has: the progress CSV is created exclusively (`-2`, `-3`…
 * after the stamp when taken) and a stamp whose summary files exist is passed over, so two runs in
 * the same second never overwrite each other. `onFailure` hears of a later write error (once per file).
 */
export async function openRunFiles(
  statsDir: string,
  stamp: string,
  requestLogPath: string | undefined,
  fs: OutputFs,
  onFailure: (problem: FileProblem) => void,
): Promise<OpenRunFiles> {
  const claimed = await createUnique(stamp, async (candidate) => {
    const names = runFileNames(statsDir, candidate, requestLogPath);
    for (const taken of [names.summaryJson, names.summaryCsv, names.endpointsCsv]) {
      if (await fs.exists(taken)) throw new Deno.errors.AlreadyExists(taken);
    }
    return { names, file: await fs.createNew(names.progress) };
  });
  const { names, file } = claimed.value;
  const progress = new ProgressCsv(new LineFile(names.progress, file, onFailure));
  if (!names.requestLog) return { names, progress };
  try {
    const log = new LineFile(names.requestLog, await fs.create(names.requestLog), onFailure);
    return { names, progress, requestLog: new RequestLog(log) };
  } catch (error) {
    progress.close();
    throw error;
  }
}

const PERCENTILE_KEYS: (keyof Percentiles)[] = [
  "latency_ms_p50",
  "latency_ms_p90",
  "latency_ms_p95",
  "latency_ms_p99",
  "latency_ms_max",
  "latency_ms_mean",
  "service_ms_p50",
  "service_ms_p95",
  "service_ms_p99",
];
const COUNT_KEYS = ["total", "success", "failures", "bytes"] as const;
const ERROR_KEYS = ERROR_CLASSES.map((name) => `errors_${name}`);

function countValues(counts: Counts): CsvValue[] {
  return [...COUNT_KEYS.map((k) => counts[k]), ...ERROR_CLASSES.map((name) => counts.errors[name] ?? 0)];
}

function statusText(counts: Counts): string {
  return Object.entries(counts.status_codes).map(([status, n]) => `${status}:${n}`).join(" ");
}

export const PROGRESS_HEADER = [
  "epoch_ms",
  "time",
  "t_sec",
  "interval_sec",
  "warmup",
  "drain",
  "target_rpm",
  "observed_rpm",
  ...COUNT_KEYS,
  ...ERROR_KEYS,
  ...PERCENTILE_KEYS,
  "in_flight",
  "late",
  // The backlog (due, not yet sent) at the interval's end; the summary's not_sent is "never sent".
  "backlog",
  "status_codes",
];

export function progressRow(row: IntervalSummary & { drain?: boolean }): CsvValue[] {
  return [
    row.epoch_ms,
    new Date(row.epoch_ms).toISOString(),
    row.t_sec,
    row.interval_sec,
    row.warmup,
    row.drain ?? false,
    row.target_rpm,
    row.observed_rpm,
    ...countValues(row),
    ...PERCENTILE_KEYS.map((k) => row[k]),
    row.in_flight,
    row.late,
    row.backlog,
    statusText(row),
  ];
}

/** The progress CSV: the header, then one row per interval, each written as it comes. */
export class ProgressCsv {
  constructor(private readonly file: LineFile) {
    file.append(csvLine(PROGRESS_HEADER));
  }

  get path(): string {
    return this.file.path;
  }

  get failure(): FileProblem | undefined {
    return this.file.failure;
  }

  append(row: IntervalSummary & { drain?: boolean }): void {
    this.file.append(csvLine(progressRow(row)));
  }

  close(): void {
    this.file.close();
  }
}

const SUMMARY_SCALARS = [
  "started_at",
  "ended_at",
  "base_url",
  "seed",
  "elapsed_sec",
  "duration_sec",
  "warmup_sec",
  "concurrency",
  "target_rpm",
  "req_per_min_observed",
  "error_rate",
  "late",
  "not_sent",
  "sent",
  "abandoned",
  "interrupted",
] as const;

export function summaryCsv(summary: FullRunSummary): string {
  const header = [
    ...SUMMARY_SCALARS,
    ...COUNT_KEYS,
    ...ERROR_KEYS,
    ...PERCENTILE_KEYS,
    "scheduler_lateness_ms_p50",
    "scheduler_lateness_ms_p99",
    "scheduler_lateness_ms_max",
    "users_logged_in",
    "users_attempted",
    "relogins",
    "status_codes",
  ];
  const row: CsvValue[] = [
    ...SUMMARY_SCALARS.map((k) => summary[k]),
    ...countValues(summary),
    ...PERCENTILE_KEYS.map((k) => summary[k]),
    summary.scheduler_lateness_ms.p50,
    summary.scheduler_lateness_ms.p99,
    summary.scheduler_lateness_ms.max,
    summary.login.logged_in,
    summary.login.attempted,
    summary.login.relogins,
    statusText(summary),
  ];
  return csvDocument(header, [row]);
}

export function endpointsCsv(summary: FullRunSummary): string {
  const header = [
    "name",
    "path",
    "req_per_min_observed",
    ...COUNT_KEYS,
    ...ERROR_KEYS,
    ...PERCENTILE_KEYS,
    "moodle_pages",
    "moodle_time_used_ms_mean",
    "moodle_time_used_ms_p95",
    "moodle_db_reads_mean",
    "moodle_db_writes_mean",
    "moodle_db_time_ms_mean",
    "moodle_session_wait_ms_mean",
    "status_codes",
  ];
  const rows = summary.endpoints.map((e): CsvValue[] => [
    e.name,
    e.path,
    e.req_per_min_observed,
    ...countValues(e),
    ...PERCENTILE_KEYS.map((k) => e[k]),
    e.moodle_perf?.pages ?? 0,
    e.moodle_perf?.time_used_ms_mean,
    e.moodle_perf?.time_used_ms_p95,
    e.moodle_perf?.db_reads_mean,
    e.moodle_perf?.db_writes_mean,
    e.moodle_perf?.db_time_ms_mean,
    e.moodle_perf?.session_wait_ms_mean,
    statusText(e),
  ]);
  return csvDocument(header, rows);
}

/**
 * The summary JSON, summary CSV and endpoints CSV, each written atomically and on its own: one that
 * cannot be written (a full disk) does not stop the others. Returns the ones that failed.
 */
export async function writeSummaryFiles(
  files: RunFiles,
  summary: FullRunSummary,
  fs: OutputFs,
): Promise<FileProblem[]> {
  const problems: FileProblem[] = [];
  const documents: [string, () => string][] = [
    [files.summaryJson, () => JSON.stringify(summary, null, 2) + "\n"],
    [files.summaryCsv, () => summaryCsv(summary)],
    [files.endpointsCsv, () => endpointsCsv(summary)],
  ];
  for (const [path, text] of documents) {
    try {
      await fs.writeFileAtomic(path, text());
    } catch (error) {
      problems.push(fileProblem(path, error));
    }
  }
  return problems;
}

/**
 * The JSONL request log: one line per answered request, buffered and written synchronously in
 * batches of ~256 KB (one write per batch keeps the hot path cheap), the rest on flush and close.
 * After a write error (a full disk) it holds only whole lines and logs nothing more.
 */
export class RequestLog {
  private buffer: string[] = [];
  private size = 0;

  constructor(private readonly file: LineFile) {}

  get path(): string {
    return this.file.path;
  }

  get failure(): FileProblem | undefined {
    return this.file.failure;
  }

  readonly write = (entry: RequestLogEntry): void => {
    if (this.file.failure) return;
    const line = redactUrl(JSON.stringify(entry));
    this.buffer.push(line);
    this.size += line.length + 1;
    if (this.size >= 256 * 1024) this.flush();
  };

  flush(): void {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join("\n") + "\n";
    this.buffer = [];
    this.size = 0;
    this.file.append(text);
  }

  close(): void {
    this.flush();
    this.file.close();
  }
}
