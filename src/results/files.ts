/**
 * The files a run leaves under `--stats-dir`: progress CSV (one row per interval, flushed as it
 * goes), summary CSV, endpoints CSV and summary JSON (written atomically at the end), and the
 * optional JSONL request log (written in batches, flushed at the end and on Ctrl-C).
 */
import { CsvAppender, csvDocument, type CsvValue } from "../output/csv.ts";
import { writeFileAtomic } from "../output/atomic.ts";
import { redactUrl } from "../util/redact.ts";
import { ERROR_CLASSES } from "../engine/types.ts";
import type { RequestLogEntry } from "../engine/engine.ts";
import type { Counts, IntervalSummary, Percentiles } from "./summary_types.ts";
import type { FullRunSummary } from "./summary.ts";

/** `20261121_052629` in local time, as the original Python tool names its files. */
export function fileTimestamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}_${p(date.getHours())}${
    p(date.getMinutes())
  }${p(date.getSeconds())}`;
}

export interface RunFiles {
  progress: string;
  summaryCsv: string;
  endpointsCsv: string;
  summaryJson: string;
  requestLog?: string;
}

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
  "not_sent",
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
    row.not_sent,
    statusText(row),
  ];
}

/** The progress CSV: rows appended in order (writes are chained, never interleaved). */
export class ProgressCsv {
  private chain: Promise<void> = Promise.resolve();
  private constructor(private readonly appender: CsvAppender) {}

  static async create(path: string): Promise<ProgressCsv> {
    return new ProgressCsv(await CsvAppender.create(path, PROGRESS_HEADER));
  }

  append(row: IntervalSummary & { drain?: boolean }): void {
    this.chain = this.chain.then(() => this.appender.write(progressRow(row)));
  }

  async close(): Promise<void> {
    await this.chain;
    this.appender.close();
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

export async function writeSummaryFiles(files: RunFiles, summary: FullRunSummary): Promise<void> {
  await writeFileAtomic(files.summaryJson, JSON.stringify(summary, null, 2) + "\n");
  await writeFileAtomic(files.summaryCsv, summaryCsv(summary));
  await writeFileAtomic(files.endpointsCsv, endpointsCsv(summary));
}

/**
 * The JSONL request log: one line per answered request, buffered and written synchronously in
 * batches of ~256 KB (one write per batch keeps the hot path cheap), the rest on close.
 */
export class RequestLog {
  private buffer: string[] = [];
  private size = 0;
  private readonly encoder = new TextEncoder();

  private constructor(private readonly file: Deno.FsFile) {}

  static async create(path: string): Promise<RequestLog> {
    return new RequestLog(await Deno.open(path, { write: true, create: true, truncate: true }));
  }

  readonly write = (entry: RequestLogEntry): void => {
    const line = redactUrl(JSON.stringify(entry));
    this.buffer.push(line);
    this.size += line.length + 1;
    if (this.size >= 256 * 1024) this.flush();
  };

  flush(): void {
    if (this.buffer.length === 0) return;
    const bytes = this.encoder.encode(this.buffer.join("\n") + "\n");
    this.buffer = [];
    this.size = 0;
    let written = 0;
    while (written < bytes.length) written += this.file.writeSync(bytes.subarray(written));
  }

  close(): void {
    this.flush();
    try {
      this.file.close();
    } catch { /* closed */ }
  }
}
