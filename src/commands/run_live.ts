/**
 * `run`'s live console. On a terminal: one block redrawn every second (the engine's 1-second time
 * line, whatever `--progress` is), fitted to the terminal's width — a narrow layout below
 * WIDE_COLUMNS that fits 80 columns, a wide one above — with the last seconds' and the cumulative
 * percentiles, the top endpoints by traffic and the error classes when there are any. Not on a
 * terminal (CI logs, pipes): one compact line per `--progress` interval under a header printed once.
 * The CSV rows stay at `--progress` either way (run.ts writes them).
 */
import { ERROR_CLASSES } from "../engine/types.ts";
import type { LiveStats, RequestLogEntry } from "../engine/engine.ts";
import type { IntervalReport } from "../engine/intervals.ts";
import type { TimelinePoint } from "../engine/timeline.ts";
import type { Stats } from "../engine/stats.ts";
import { maxMs, percentileMs } from "../engine/histogram.ts";
import { formatDuration, formatMs, progressBar } from "../output/format.ts";
import { renderTable } from "../output/table.ts";
import type { IntervalSummary } from "../results/summary_types.ts";
import { RecentWindow, type WindowFigures } from "./live_window.ts";

/** At this width and above the wide layout is drawn; below it the narrow one (fits 80 columns). */
export const WIDE_COLUMNS = 110;
/** Endpoints listed by traffic in each layout (the rest are counted in one line). */
const TOP_ENDPOINTS = { narrow: 5, wide: 10 };
/** An endpoint name longer than this is cut (with …) so the table keeps its width. */
const NAME_CHARS = { narrow: 22, wide: 36 };
/** Seconds of the "last seconds" row. */
export const RECENT_SEC = 10;

/**
 * A block under the core tables (the journey table goes here): given the layout's width it returns
 * its lines, or undefined when it has nothing to show yet. Sections are drawn in the order added.
 */
export type LiveSection = (columns: number) => string | undefined;

/** Everything one screen shows, as plain numbers (what the tests build by hand). */
export interface LiveScreen {
  /** Seconds since the run started (warm-up included) and the whole run's length. */
  elapsedSec: number;
  runSec: number;
  warmupSec: number;
  recent: WindowFigures;
  /** Measured requests so far (undefined inside the warm-up). */
  cumulative?: {
    measuredSec: number;
    targetRpm: number;
    total: number;
    failures: number;
    p50Ms: number;
    p95Ms: number;
    p99Ms: number;
    maxMs: number;
  };
  targetRpm: number;
  inFlight: number;
  late: number;
  lateBoundMs: number;
  endpoints: readonly EndpointLine[];
  /** Measured failures by error class (non-zero only). */
  errors: Readonly<Record<string, number>>;
}

export interface EndpointLine {
  name: string;
  total: number;
  failures: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  serviceP95Ms: number;
}

const rpm = (n: number) => Number.isFinite(n) ? n.toFixed(0) : "-";
const pct = (part: number, whole: number) =>
  whole > 0 ? `${(part / whole * 100).toFixed(part === whole ? 0 : 1)}%` : "-";

function cut(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

/** Lines longer than the terminal are cut, never wrapped: a wrapped line breaks the redraw. */
export function fitWidth(text: string, columns: number): string {
  return text.split("\n").map((line) => cut(line, columns)).join("\n");
}

/** Lines longer than `columns` broken at spaces (continuations indented by 2); a longer word stays whole. */
export function wrapAtSpaces(text: string, columns: number): string {
  return text.split("\n").map((line) =>
    line.length <= columns ? line : wrapWords("", line.split(" ").filter((w) => w !== ""), " ", columns)
  ).join("\n");
}

/** Words joined by `sep`, broken into lines of at most `columns`, the first after `lead`. */
function wrapWords(lead: string, words: string[], sep: string, columns: number): string {
  const lines: string[] = [];
  let line = lead;
  for (const word of words) {
    const next = line === lead ? line + word : line + sep + word;
    if (next.length > columns && line !== lead) {
      lines.push(line + sep.trimEnd());
      line = "  " + word;
    } else line = next;
  }
  lines.push(line);
  return lines.join("\n");
}

function headLine(s: LiveScreen, wide: boolean): string {
  const inWarmup = s.elapsedSec < s.warmupSec;
  const phase = inWarmup ? "warm-up (not counted)" : "measuring";
  const bar = progressBar(s.runSec > 0 ? s.elapsedSec / s.runSec : 1, wide ? 30 : 20);
  return `${bar}  ${formatDuration(s.elapsedSec)} / ${formatDuration(s.runSec)}  ${phase}`;
}

function figuresTable(s: LiveScreen, wide: boolean): string {
  const head = ["", "Rate/min", "Target", "Requests", "Failed", "p50 ms", "p95 ms", "p99 ms"];
  if (wide) head.push("Max ms");
  const r = s.recent;
  const recent: (string | number)[] = [
    `Last ${r.spanSec} s`,
    rpm(r.total / r.spanSec * 60),
    rpm(s.targetRpm),
    r.total,
    r.failures,
    formatMs(r.p50Ms),
    formatMs(r.p95Ms),
    formatMs(r.p99Ms),
  ];
  if (wide) recent.push(formatMs(r.maxMs));
  const c = s.cumulative;
  const total: (string | number)[] = c
    ? [
      "Measured",
      rpm(c.measuredSec > 0 ? c.total / c.measuredSec * 60 : NaN),
      rpm(c.targetRpm),
      c.total,
      c.failures,
      formatMs(c.p50Ms),
      formatMs(c.p95Ms),
      formatMs(c.p99Ms),
    ]
    : ["Measured", "-", "-", "-", "-", "-", "-", "-"];
  if (wide) total.push(c ? formatMs(c.maxMs) : "-");
  return renderTable(head, [recent, total]);
}

function statusLine(s: LiveScreen): string {
  const failed = s.cumulative ? pct(s.cumulative.failures, s.cumulative.total) : "-";
  return `In flight ${s.inFlight} · late ${s.late} (> ${s.lateBoundMs} ms after intended) · failed ${failed}`;
}

function endpointsTable(s: LiveScreen, wide: boolean): string | undefined {
  const used = s.endpoints.filter((e) => e.total > 0).sort((a, b) => b.total - a.total);
  if (used.length === 0) return undefined;
  const top = used.slice(0, wide ? TOP_ENDPOINTS.wide : TOP_ENDPOINTS.narrow);
  const all = used.reduce((sum, e) => sum + e.total, 0);
  const head = ["Top endpoints", "Requests", "Share", "Failed", "p50 ms", "p95 ms", "p99 ms"];
  if (wide) head.push("Service p95");
  const rows = top.map((e) => {
    const row: (string | number)[] = [
      cut(e.name, wide ? NAME_CHARS.wide : NAME_CHARS.narrow),
      e.total,
      pct(e.total, all),
      e.failures,
      formatMs(e.p50Ms),
      formatMs(e.p95Ms),
      formatMs(e.p99Ms),
    ];
    if (wide) row.push(formatMs(e.serviceP95Ms));
    return row;
  });
  const more = used.length > top.length ? `\n… ${used.length - top.length} more endpoints` : "";
  return renderTable(head, rows) + more;
}

function errorsLine(s: LiveScreen, columns: number): string | undefined {
  const classes = Object.entries(s.errors).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (classes.length === 0) return undefined;
  return wrapWords("Errors: ", classes.map(([name, n]) => `${name} ${n}`), " · ", columns);
}

/** The terminal block: the narrow layout below WIDE_COLUMNS, the wide one from it; never wider than `columns`. */
export function renderLiveScreen(
  s: LiveScreen,
  columns: number,
  sections: readonly LiveSection[] = [],
): string {
  const wide = columns >= WIDE_COLUMNS;
  const parts = [
    headLine(s, wide),
    figuresTable(s, wide),
    statusLine(s),
    endpointsTable(s, wide),
    errorsLine(s, columns),
    ...sections.map((section) => section(columns)),
  ].filter((part) => part !== undefined);
  return fitWidth(parts.join("\n"), columns);
}

/** Columns of the log line: [title, width]; numbers are right-aligned to the width. */
const LOG_COLUMNS: [string, number][] = [
  ["Elapsed", 8],
  ["Target", 6],
  ["Rate", 6],
  ["Total", 8],
  ["Fail", 6],
  ["p50ms", 6],
  ["p95ms", 6],
  ["p99ms", 6],
  ["Flight", 6],
  ["Late", 6],
  ["Unsent", 6],
];

function logRow(cells: (string | number)[]): string {
  return cells.map((cell, i) => {
    const [, width] = LOG_COLUMNS[i];
    return i === 0 ? String(cell).padEnd(width) : String(cell).padStart(width);
  }).join(" ").trimEnd();
}

/** The header of the log lines, printed once: the titles and what they mean (fits 80 columns). */
export function logHeader(): string {
  return [
    "Target, Rate (requests/min) and p50–p99 (latency, ms): of the interval;",
    "Total, Fail, Late: since measuring began; Flight: in flight; Unsent: due, unsent",
    logRow(LOG_COLUMNS.map(([title]) => title)),
  ].join("\n");
}

/** One interval as one line under logHeader(). Warm-up rows count the warm-up only. */
export function logLine(report: IntervalReport, row: IntervalSummary, warmupSec: number): string {
  const c = report.cumulative;
  return logRow([
    formatDuration(row.t_sec + warmupSec),
    rpm(row.target_rpm),
    rpm(row.observed_rpm),
    row.warmup ? row.total : c.total,
    row.warmup ? row.failures : c.failures,
    formatMs(row.latency_ms_p50),
    formatMs(row.latency_ms_p95),
    formatMs(row.latency_ms_p99),
    row.in_flight,
    row.warmup ? row.late : c.late,
    row.backlog,
  ]);
}

export interface LiveViewOptions {
  tty: boolean;
  /** Writes the block (a LiveBlock: redrawn in place on a terminal, appended otherwise). */
  block: { update(text: string): void; commit(): void };
  /** The terminal's width now (read at every redraw: the window may be resized). */
  columns: () => number | undefined;
  endpointNames: readonly string[];
  runSec: number;
  warmupSec: number;
  lateBoundMs: number;
}

/**
 * The live console of one run: feed it the engine's request hook, seconds and intervals. It keeps
 * only the rolling window and a late counter; the cumulative figures are the engine's live stats.
 */
export class LiveView {
  private readonly recent = new RecentWindow(RECENT_SEC);
  private readonly sections: LiveSection[] = [];
  private late = 0;
  private measuredTargetSum = 0;
  private measuredSeconds = 0;
  private headerShown = false;
  private measuringShown = false;

  constructor(private readonly o: LiveViewOptions) {}

  /** Redrawn every second (a terminal), or one line per interval (a log). */
  get tty(): boolean {
    return this.o.tty;
  }

  /** Add a block under the core tables (e.g. journeys); drawn from the next redraw on. */
  addSection(section: LiveSection): void {
    this.sections.push(section);
  }

  /** The engine's request hook, chained in front of `next`. */
  onRequest(
    next?: (entry: RequestLogEntry) => void,
  ): ((entry: RequestLogEntry) => void) | undefined {
    if (!this.o.tty) return next; // the log lines take their figures from the intervals
    return (entry) => {
      this.recent.record(entry);
      if (!entry.warmup && entry.lateness_ms > this.o.lateBoundMs) this.late++;
      next?.(entry);
    };
  }

  /** A second ended: redraw on a terminal. */
  onSecond(point: TimelinePoint, live: LiveStats): void {
    if (!point.warmup) {
      this.measuredTargetSum += point.target_rpm * point.span_sec;
      this.measuredSeconds += point.span_sec;
    }
    if (!this.o.tty) return;
    const columns = this.o.columns() ?? 80;
    this.o.block.update(renderLiveScreen(this.screen(point, live), columns, this.sections));
  }

  /** A `--progress` interval ended: one log line when not on a terminal. */
  onInterval(report: IntervalReport, row: IntervalSummary): void {
    if (this.o.tty || report.drain) return;
    const lines: string[] = [];
    if (!this.headerShown) lines.push(logHeader());
    if (!row.warmup && !this.measuringShown && this.o.warmupSec > 0) {
      lines.push(`— warm-up over: measuring from ${formatDuration(this.o.warmupSec)} on —`);
    }
    this.headerShown = true;
    if (!row.warmup) this.measuringShown = true;
    lines.push(logLine(report, row, this.o.warmupSec));
    this.o.block.update(lines.join("\n"));
    this.o.block.commit();
  }

  screen(point: TimelinePoint, live: LiveStats): LiveScreen {
    const elapsedSec = point.t_sec + this.o.warmupSec;
    const overall = live.overall;
    return {
      elapsedSec,
      runSec: this.o.runSec,
      warmupSec: this.o.warmupSec,
      recent: this.recent.figures(elapsedSec),
      cumulative: point.warmup ? undefined : {
        measuredSec: this.measuredSeconds,
        targetRpm: this.measuredSeconds > 0 ? this.measuredTargetSum / this.measuredSeconds : NaN,
        total: overall.total,
        failures: overall.failures,
        p50Ms: percentileMs(overall.latency, 50),
        p95Ms: percentileMs(overall.latency, 95),
        p99Ms: percentileMs(overall.latency, 99),
        maxMs: maxMs(overall.latency),
      },
      targetRpm: point.target_rpm,
      inFlight: point.in_flight,
      late: this.late,
      lateBoundMs: this.o.lateBoundMs,
      endpoints: topEndpoints(live.endpoints, this.o.endpointNames),
      errors: errorCounts(overall),
    };
  }
}

/**
 * Endpoints by traffic, most first; percentiles only for the ones a layout can show (reading four
 * percentiles of every endpoint's histograms each second would cost more than the rest of the screen).
 */
function topEndpoints(endpoints: readonly Stats[], names: readonly string[]): EndpointLine[] {
  const order = endpoints.map((stats, i) => ({ stats, name: names[i] ?? `#${i}` }))
    .filter(({ stats }) => stats.total > 0)
    .sort((a, b) => b.stats.total - a.stats.total);
  return order.map(({ stats, name }, rank) => {
    const shown = rank < TOP_ENDPOINTS.wide;
    const at = (histogram: Stats["latency"], p: number) => shown ? percentileMs(histogram, p) : NaN;
    return {
      name,
      total: stats.total,
      failures: stats.failures,
      p50Ms: at(stats.latency, 50),
      p95Ms: at(stats.latency, 95),
      p99Ms: at(stats.latency, 99),
      serviceP95Ms: at(stats.service, 95),
    };
  });
}

function errorCounts(stats: Stats): Record<string, number> {
  const out: Record<string, number> = {};
  stats.errors.forEach((count, k) => {
    if (count) out[ERROR_CLASSES[k]] = count;
  });
  return out;
}
