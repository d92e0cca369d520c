/**
 * The report as one self-contained HTML document: styles, uPlot and the page script inlined, the
 * data embedded as JSON. No network: it opens from file:// offline. Pure (string in, string out).
 */
import type { EndpointSummary, PerfAggregate, RunSummary } from "../results/summary_types.ts";
import { binaryBytes, decimalBytes, formatDuration } from "../output/format.ts";
import type { ThresholdResult } from "../thresholds/evaluate.ts";
import type { ChartSet, ChartSpec } from "./charts.ts";
import { CLIENT_JS } from "./client.ts";
import { TABLE_SORT_JS } from "./table_sort.ts";
import { redactUrl } from "../util/redact.ts";
import { MAX_REASONS_PER_CLASS, OTHER_REASONS } from "../results/error_reasons.ts";
import { escapeHtml } from "../util/html.ts";
import { UPLOT_CSS, UPLOT_JS, UPLOT_VERSION } from "./uplot_asset.ts";

export interface ReportInput {
  summary: RunSummary;
  /** Shown in the title: the run directory's name. */
  runName: string;
  charts: ChartSet;
  /** manifest.json of a bench run, when present (secrets already removed by bench). */
  manifest?: Record<string, unknown>;
  thresholds?: ThresholdResult[];
  /** Capture files that could not be read, one line each. */
  problems?: string[];
  generatedAt: string;
  version: string;
}

/** JSON safe inside <script>: no "</script>", no "<!--". */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c").replaceAll("\u2028", "\\u2028").replaceAll(
    "\u2029",
    "\\u2029",
  );
}

/** Inline JS must not contain "</script" (uPlot does not; guard anyway). */
export function inlineScript(js: string): string {
  return js.replaceAll("</script", "<\\/script");
}

export function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

export function num(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function pct(fraction: number, digits = 2): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)}%` : "–";
}

export function utc(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

/** "12 (0.80%)": the count beside its share, so a small sample is never read as a big percentage. */
function countAndShare(count: number, total: number): string {
  return count ? `${num(count)} (${pct(total ? count / total : 0)})` : "0";
}

interface Card {
  label: string;
  value: string;
  detail?: string;
  tone?: "good" | "warn" | "bad";
}

/** Long because it is a table: the eight headline cards, one object each, in the order shown. */
function cards(summary: RunSummary): Card[] {
  const achieved = summary.target_rpm > 0 ? summary.req_per_min_observed / summary.target_rpm : NaN;
  const errorRate = summary.total ? summary.failures / summary.total : 0;
  const loginOk = summary.login.logged_in === summary.login.attempted;
  return [
    {
      label: "Requests",
      value: num(summary.total),
      detail: `${num(summary.success)} ok · ${num(summary.failures)} failed`,
    },
    {
      label: "Observed rate",
      value: `${num(summary.req_per_min_observed)} rpm`,
      detail: `target ${num(summary.target_rpm)} rpm${
        Number.isFinite(achieved) ? ` · ${pct(achieved, 1)} achieved` : ""
      }`,
      tone: !Number.isFinite(achieved)
        ? undefined
        : achieved >= 0.97
        ? "good"
        : achieved >= 0.9
        ? "warn"
        : "bad",
    },
    {
      label: "Latency p50 / p95",
      value: `${ms(summary.latency_ms_p50)} / ${ms(summary.latency_ms_p95)}`,
      detail: "from the intended start",
    },
    {
      label: "Latency p99 / max",
      value: `${ms(summary.latency_ms_p99)} / ${ms(summary.latency_ms_max)}`,
      detail: `service time p95 ${ms(summary.service_ms_p95)}`,
    },
    {
      label: "Error rate",
      value: pct(errorRate),
      detail:
        Object.entries(summary.errors).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) =>
          `${k} ${num(v)}`
        )
          .join(" · ") || "no failures",
      tone: errorRate === 0 ? "good" : errorRate < 0.01 ? "warn" : "bad",
    },
    {
      label: "Late / not sent",
      value: `${num(summary.late)} / ${num(summary.not_sent)}`,
      detail: `scheduler lateness p99 ${ms(summary.scheduler_lateness_ms.p99)}`,
      tone: summary.not_sent > 0 ? "bad" : summary.late > 0 ? "warn" : "good",
    },
    {
      label: "Users logged in",
      value: `${num(summary.login.logged_in)} / ${num(summary.login.attempted)}`,
      detail: `${num(summary.login.relogins)} re-logins after session loss`,
      tone: loginOk ? "good" : summary.login.logged_in > 0 ? "warn" : "bad",
    },
    {
      label: "Transferred",
      value: decimalBytes(summary.bytes),
      detail: summary.total
        ? `${decimalBytes(Math.round(summary.bytes / summary.total))} per request`
        : undefined,
    },
  ];
}

function renderCards(summary: RunSummary): string {
  return `<section class="cards">${
    cards(summary).map((card) =>
      `<div class="card${card.tone ? ` ${card.tone}` : ""}"><div class="label">${
        escapeHtml(card.label)
      }</div>` +
      `<div class="value">${escapeHtml(card.value)}</div>${
        card.detail ? `<div class="detail">${escapeHtml(card.detail)}</div>` : ""
      }</div>`
    ).join("")
  }</section>`;
}

/** A table cell: its HTML, or its HTML and the raw value it sorts by (table_sort.ts). */
export type Cell = string | { html: string; sort: number | string | undefined };

/** A cell shown as `html` that sorts by `sort` (a raw number, not the formatted text); none when undefined. */
export function sortCell(html: string, sort: number | string | undefined): Cell {
  return { html, sort };
}

function cellParts(cell: Cell): { html: string; sort: string } {
  if (typeof cell === "string") return { html: cell, sort: "" };
  const { html, sort } = cell;
  const known = typeof sort === "string" || (sort !== undefined && Number.isFinite(sort));
  return { html, sort: known ? ` data-sort="${escapeHtml(String(sort))}"` : "" };
}

/**
 * A data table, sortable by a click on a column header (table_sort.ts); rows at `pinned` indices (a
 * total, an overall row) keep their place when it sorts.
 */
export function table(
  head: string[],
  rows: Cell[][],
  options: { numeric?: boolean[]; id?: string; pinned?: number[] } = {},
): string {
  const numeric = options.numeric ?? head.map((_, i) => i > 0);
  const cls = (i: number) => (numeric[i] ? ` class="num"` : "");
  const pinned = new Set(options.pinned ?? []);
  return `<div class="table-wrap"><table class="sortable"${
    options.id ? ` id="${options.id}"` : ""
  }><thead><tr>${
    head.map((h, i) =>
      `<th${cls(i)} tabindex="0" aria-sort="none" title="Sort by this column">${
        escapeHtml(h)
      }<span class="sort-arrow"></span></th>`
    ).join("")
  }</tr></thead><tbody>${
    rows.map((row, r) =>
      `<tr${pinned.has(r) ? " data-pinned" : ""}>${
        row.map((cell, i) => {
          const { html, sort } = cellParts(cell);
          return `<td${cls(i)}${sort}>${html}</td>`;
        }).join("")
      }</tr>`
    ).join("")
  }</tbody></table></div>`;
}

function perfCells(perf: PerfAggregate | undefined): Cell[] {
  if (!perf) return ["–", "–", "–", "–"];
  const memory = perf.memory_peak_bytes_mean;
  return [
    sortCell(ms(perf.time_used_ms_mean), perf.time_used_ms_mean),
    sortCell(num(perf.db_reads_mean, 1), perf.db_reads_mean),
    sortCell(num(perf.db_writes_mean, 1), perf.db_writes_mean),
    sortCell(memory !== undefined ? binaryBytes(Math.round(memory)) : "–", memory),
  ];
}

/** The figures of an endpoint row (and of the total row): each cell sorts by its raw value. */
function figureCells(c: {
  total: number;
  failures: number;
  bytes: number;
  req_per_min_observed: number;
  latency_ms_p50: number;
  latency_ms_p95: number;
  latency_ms_p99: number;
  latency_ms_max: number;
  service_ms_p95: number;
}, errorsHtml: string): Cell[] {
  const size = c.total ? Math.round(c.bytes / c.total) : 0;
  return [
    sortCell(num(c.total), c.total),
    sortCell(errorsHtml, c.failures),
    sortCell(num(c.req_per_min_observed, 1), c.req_per_min_observed),
    sortCell(ms(c.latency_ms_p50), c.latency_ms_p50),
    sortCell(ms(c.latency_ms_p95), c.latency_ms_p95),
    sortCell(ms(c.latency_ms_p99), c.latency_ms_p99),
    sortCell(ms(c.latency_ms_max), c.latency_ms_max),
    sortCell(ms(c.service_ms_p95), c.service_ms_p95),
    sortCell(decimalBytes(size), size),
  ];
}

function endpointRows(summary: RunSummary, withPerf: boolean): Cell[][] {
  const row = (e: EndpointSummary) => {
    const errorRate = e.total ? e.failures / e.total : 0;
    const cells = [
      sortCell(
        `<span class="ep">${escapeHtml(e.name)}</span>${
          e.path !== e.name ? `<span class="path">${escapeHtml(e.path)}</span>` : ""
        }`,
        e.name,
      ),
      ...figureCells(
        e,
        `<span class="${errorRate > 0.01 ? "bad-text" : errorRate > 0 ? "warn-text" : ""}">${
          countAndShare(e.failures, e.total)
        }</span>`,
      ),
    ];
    return withPerf ? [...cells, ...perfCells(e.moodle_perf)] : cells;
  };
  return [...summary.endpoints].sort((a, b) => b.total - a.total).map(row);
}

function renderEndpoints(summary: RunSummary): string {
  const withPerf = summary.endpoints.some((e) => e.moodle_perf && e.moodle_perf.pages > 0) ||
    Boolean(summary.moodle_perf?.pages);
  const head = [
    "Endpoint",
    "Requests",
    "Errors",
    "RPM",
    "p50",
    "p95",
    "p99",
    "max",
    "service p95",
    "size",
    ...(withPerf ? ["server time", "DB reads", "DB writes", "memory peak"] : []),
  ];
  const total = [
    `<span class="ep">all endpoints</span>`,
    ...figureCells(summary, countAndShare(summary.failures, summary.total)),
    ...(withPerf ? perfCells(summary.moodle_perf) : []),
  ];
  const rows = endpointRows(summary, withPerf);
  const note = withPerf
    ? `<p class="note">Server time, DB reads/writes and memory peak are means from Moodle's performance footer (perfdebug) over ${
      num(
        summary.moodle_perf?.pages ?? summary.endpoints.reduce((a, e) => a + (e.moodle_perf?.pages ?? 0), 0),
      )
    } pages.</p>`
    : `<p class="note">Latencies are measured from each request's intended start (queueing included); service time from the actual send.</p>`;
  return `<section class="panel"><h2>Endpoints</h2>${
    table(head, [...rows, total], { id: "endpoints", pinned: [rows.length] })
  }${note}</section>`;
}

function renderThresholds(results: ThresholdResult[] | undefined): string {
  if (!results?.length) return "";
  const crossed = results.filter((r) => !r.passed).length;
  const banner = crossed
    ? `<div class="banner bad">${crossed} of ${results.length} thresholds crossed</div>`
    : `<div class="banner good">All ${results.length} thresholds met</div>`;
  return `<section class="panel"><h2>Thresholds</h2>${banner}<ul class="checks">${
    results.map((r) =>
      `<li class="${r.passed ? "good" : "bad"}">${r.passed ? "✓" : "✗"} ${escapeHtml(r.detail)}</li>`
    )
      .join("")
  }</ul></section>`;
}

function renderErrors(summary: RunSummary): string {
  const classes = Object.entries(summary.errors).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  const statuses = Object.entries(summary.status_codes).sort((a, b) => b[1] - a[1]);
  const login = summary.login;
  const reasons = Object.entries(login.by_reason).filter(([, v]) => v > 0);
  const parts = [
    `<div><h3>Failures by class</h3>${
      classes.length
        ? table(
          ["Class", "Requests", "Share"],
          classes.map(([k, v]) => [escapeHtml(k), sortCell(num(v), v), sortCell(pct(v / summary.total), v)]),
        )
        : `<p class="note">No request failed.</p>`
    }</div>`,
    `<div><h3>HTTP status</h3>${
      table(
        ["Status", "Requests", "Share"],
        statuses.map(([k, v]) => [
          sortCell(k === "0" ? "no response" : escapeHtml(k), Number(k)),
          sortCell(num(v), v),
          sortCell(pct(summary.total ? v / summary.total : 0), v),
        ]),
      )
    }</div>`,
    `<div><h3>Logins</h3>${
      table(
        ["", "Users"],
        [
          ["logged in", sortCell(num(login.logged_in), login.logged_in)],
          ["attempted", sortCell(num(login.attempted), login.attempted)],
          ["re-logins", sortCell(num(login.relogins), login.relogins)],
          ...reasons.map(([k, v]) => [`failed: ${escapeHtml(k)}`, sortCell(num(v), v)]),
        ],
      )
    }${
      login.failed.length
        ? `<p class="note">Failed: ${
          login.failed.slice(0, 20).map((f) => `${escapeHtml(f.username)} (${escapeHtml(f.reason)})`).join(
            ", ",
          )
        }${login.failed.length > 20 ? ` and ${login.failed.length - 20} more` : ""}</p>`
        : ""
    }</div>`,
  ];
  return `<section class="panel"><h2>Errors and logins</h2><div class="grid3">${parts.join("")}</div>${
    renderFailureReasons(summary)
  }${renderErrorMatrix(summary)}</section>`;
}

/**
 * Why requests failed, one row per (class, reason) with its count and an example — the endpoint and
 * path of the first request that failed so (Locust's Failures tab). Absent for runs without failures;
 * summaries written before examples existed show "–" in that column.
 */
function renderFailureReasons(summary: RunSummary): string {
  const rows = Object.entries(summary.error_reasons ?? {})
    .flatMap(([errorClass, byReason]) =>
      Object.entries(byReason).map(([reason, count]) => ({ errorClass, reason, count }))
    )
    .sort((a, b) =>
      (summary.errors[b.errorClass] ?? 0) - (summary.errors[a.errorClass] ?? 0) ||
      b.count - a.count
    );
  if (!rows.length) return "";
  const cells = rows.map(({ errorClass, reason, count }) => {
    const example = summary.error_examples?.[errorClass]?.[reason];
    return [
      escapeHtml(errorClass),
      escapeHtml(redactUrl(reason)),
      sortCell(countAndShare(count, summary.total), count),
      example
        ? sortCell(
          `<span class="ep">${escapeHtml(example.endpoint)}</span><span class="path">${
            escapeHtml(redactUrl(example.url))
          }</span>`,
          example.endpoint,
        )
        : "–",
    ];
  });
  return `<h3>Failure reasons</h3>${
    table(["Class", "Reason", "Requests", "Example"], cells, {
      id: "failure-reasons",
      numeric: [false, false, true, false],
    })
  }<p class="note">Each reason with the first measured request that failed so (its endpoint and path; ` +
    `secret query values hidden). At most ${MAX_REASONS_PER_CLASS} reasons per class, the rest under "${
      escapeHtml(OTHER_REASONS)
    }".</p>`;
}

/** Failures of each endpoint by class: a count and its share of the endpoint's requests in each cell. */
function renderErrorMatrix(summary: RunSummary): string {
  const failing = summary.endpoints.filter((e) => e.failures > 0).sort((a, b) => b.failures - a.failures);
  if (!failing.length) return "";
  const classes = Object.entries(summary.errors).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1])
    .map(([k]) => k);
  const rows = failing.map((e) => [
    `<span class="ep">${escapeHtml(e.name)}</span>`,
    sortCell(num(e.total), e.total),
    sortCell(countAndShare(e.failures, e.total), e.failures),
    ...classes.map((c) => sortCell(countAndShare(e.errors[c] ?? 0, e.total), e.errors[c] ?? 0)),
  ]);
  return `<h3>Failures by endpoint and class</h3>${
    table(["Endpoint", "Requests", "Failed", ...classes], rows, { id: "error-classes" })
  }<p class="note">Each cell: failed requests (share of the endpoint's requests).</p>`;
}

interface StepLike {
  name?: unknown;
  status?: unknown;
  seconds?: unknown;
  error?: unknown;
}

function settingValue(key: string, value: unknown): string {
  if (value === null || value === undefined) return "–";
  if (key === "steps" && Array.isArray(value)) {
    return value.map((step: StepLike) => {
      const seconds = typeof step.seconds === "number" ? ` ${step.seconds.toFixed(1)} s` : "";
      const tone = step.status === "failed" ? "bad-text" : step.status === "skipped" ? "warn-text" : "";
      return `<span class="${tone}">${escapeHtml(step.name)}: ${escapeHtml(step.status)}${seconds}${
        step.error ? ` — ${escapeHtml(step.error)}` : ""
      }</span>`;
    }).join("<br>");
  }
  if (key === "files" && Array.isArray(value)) {
    return value.map((f) => `<code>${escapeHtml(f)}</code>`).join("<br>");
  }
  if (key === "command" && Array.isArray(value)) return `<code>${escapeHtml(value.join(" "))}</code>`;
  if (Array.isArray(value)) {
    return value.every((v) => typeof v !== "object")
      ? escapeHtml(value.join(" "))
      : `<code>${escapeHtml(JSON.stringify(value))}</code>`;
  }
  if (typeof value === "object") return `<code>${escapeHtml(JSON.stringify(value))}</code>`;
  return escapeHtml(value);
}

/**
 * What the run ran against (summary metadata), as label and text; "unknown" where it could not be
 * read, and a line saying so for summaries written before metadata existed. The A/B report uses it too.
 */
export function metadataRows(metadata: RunSummary["metadata"]): [string, string][] {
  if (!metadata) return [["Run metadata", "not recorded (summary written by an older moodle-load)"]];
  const known = (value: string | null) => value ?? "unknown";
  return [
    ["Moodle release", known(metadata.moodle_release)],
    ["Moodle version", known(metadata.moodle_version)],
    ["PHP", known(metadata.php_version)],
    ["PostgreSQL", known(metadata.postgres_version)],
    ["Code commit", known(metadata.code_commit)],
    ["Tag", known(metadata.tag)],
    ["Config hash", known(metadata.config_hash)],
    ["Schedule hash", known(metadata.schedule_hash)],
  ];
}

function renderSettings(input: ReportInput): string {
  const s = input.summary;
  const rows: [string, unknown][] = [
    ["Site", redactUrl(s.base_url)],
    ["Started", utc(s.started_at)],
    ["Ended", utc(s.ended_at)],
    ["Measured", `${formatDuration(s.elapsed_sec)} (planned ${formatDuration(s.duration_sec)})`],
    ["Warm-up", s.warmup_sec ? formatDuration(s.warmup_sec) : "none"],
    ["Target rate", `${num(s.target_rpm)} requests/min (mean over the measured phase)`],
    ["Concurrency cap", num(s.concurrency)],
    ["Seed", s.seed],
    [
      "Scheduler lateness",
      `p50 ${ms(s.scheduler_lateness_ms.p50)} · p99 ${ms(s.scheduler_lateness_ms.p99)} · max ${
        ms(s.scheduler_lateness_ms.max)
      }`,
    ],
    ["Interrupted", s.interrupted ? "yes (Ctrl-C): figures cover what was measured" : "no"],
    ["Tool", `moodle-load ${s.version} (summary schema ${s.schema_version})`],
    ...metadataRows(s.metadata).map(([k, v]): [string, unknown] => [k, v]),
  ];
  const manifest = input.manifest ?? {};
  const manifestRows = Object.entries(manifest).filter(([key]) => key !== "thresholds_result");
  return `<section class="panel settings"><h2>Settings</h2><div class="grid2"><div><h3>Run</h3>${
    table(["Setting", "Value"], rows.map(([k, v]) => [escapeHtml(k), escapeHtml(v)]), {
      numeric: [false, false],
    })
  }</div>${
    manifestRows.length
      ? `<div><h3>Manifest</h3>${
        table(["Key", "Value"], manifestRows.map(([k, v]) => [escapeHtml(k), settingValue(k, v)]), {
          numeric: [false, false],
        })
      }</div>`
      : ""
  }</div></section>`;
}

/** One figure per chart (title, log toggle, note, the host uPlot draws into); the dashboard shares it. */
export function chartFigures(charts: readonly ChartSpec[]): string {
  return charts.map((chart) =>
    `<figure class="chart-card"><figcaption><h3>${escapeHtml(chart.title)}${
      chart.logToggle
        ? `<label class="log-toggle"><input type="checkbox" data-log-for="${chart.id}"> log scale</label>`
        : ""
    }</h3><p>${
      escapeHtml(chart.note)
    }</p></figcaption><div class="chart" id="chart-${chart.id}" data-chart="${chart.id}" data-x="${
      chart.xKind ?? "time"
    }"></div></figure>`
  ).join("");
}

function renderCharts(input: ReportInput): string {
  const blocks = chartFigures(input.charts.charts);
  const missing = [...input.charts.missing, ...(input.problems ?? [])].map((m) => `<li>${escapeHtml(m)}</li>`)
    .join("");
  return `<section class="charts">${blocks}</section>${missing ? `<ul class="missing">${missing}</ul>` : ""}`;
}

/** The report's styles (the live dashboard uses them too). */
export const STYLE = `
:root { --bg:#f4f6fa; --panel:#fff; --ink:#0f172a; --muted:#64748b; --line:#e2e8f0; --accent:#2563eb;
  --good:#15803d; --warn:#b45309; --bad:#b91c1c; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; }
header { background:linear-gradient(135deg,#0f172a,#1e3a8a); color:#fff; padding:22px 32px 20px; }
header h1 { margin:0 0 4px; font-size:22px; font-weight:650; letter-spacing:-0.01em; }
header .sub { color:#cbd5e1; font-size:13px; }
header .sub b { color:#fff; font-weight:600; }
main { max-width:1400px; margin:0 auto; padding:20px 24px 40px; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(150px,1fr)); gap:12px; margin-bottom:18px; }
.card { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:12px 14px; border-top:3px solid #cbd5e1; }
.card.good { border-top-color:var(--good); } .card.warn { border-top-color:#f59e0b; } .card.bad { border-top-color:var(--bad); }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .value { font-size:20px; font-weight:650; margin:2px 0; font-variant-numeric:tabular-nums; }
.card .detail { color:var(--muted); font-size:12px; }
.charts { display:grid; grid-template-columns:repeat(auto-fill,minmax(620px,1fr)); gap:14px; }
.chart-card { margin:0; background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:12px 14px 6px; min-width:0; }
.chart-card h3 { margin:0; font-size:15px; } .chart-card p { margin:2px 0 8px; color:var(--muted); font-size:12px; }
.chart { width:100%; min-height:300px; }
.log-toggle { float:right; font-size:12px; font-weight:400; color:var(--muted); cursor:pointer; }
.uplot .u-legend { font-size:12px; } .uplot .u-legend .u-series > * { padding:2px 4px; }
.panel { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:14px 18px; margin-top:16px; }
.panel h2 { margin:0 0 10px; font-size:17px; } .panel h3 { margin:6px 0 8px; font-size:14px; color:#334155; }
.table-wrap { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; font-size:13px; }
th, td { padding:6px 8px; border-bottom:1px solid var(--line); text-align:left; white-space:nowrap; }
th { font-size:12px; color:var(--muted); font-weight:600; background:#f8fafc; }
td.num, th.num { text-align:right; }
table.sortable th { cursor:pointer; user-select:none; } table.sortable th:hover { color:var(--ink); }
.sort-arrow { font-size:10px; }
tbody tr:last-child td { border-bottom:none; }
#endpoints tbody tr:last-child td { font-weight:650; border-top:2px solid var(--line); }
.ep { font-weight:600; } .path { display:block; color:var(--muted); font-size:12px; font-family:ui-monospace,monospace; }
/* Endpoint names and URL paths wrap (a long path must not push the figures out of a 1280 px window). */
#failure-reasons td:nth-child(2), #failure-reasons td:nth-child(4) { white-space:normal; overflow-wrap:anywhere; min-width:140px; }
#endpoints td:first-child, #error-classes td:first-child { white-space:normal; overflow-wrap:anywhere; min-width:140px; max-width:320px; }
.note { color:var(--muted); font-size:12px; margin:8px 0 0; }
.grid2 { display:grid; grid-template-columns:repeat(auto-fit,minmax(420px,1fr)); gap:18px; }
.grid3 { display:grid; grid-template-columns:repeat(auto-fit,minmax(300px,1fr)); gap:18px; }
.banner { padding:8px 12px; border-radius:8px; font-weight:600; margin-bottom:8px; }
.banner.good { background:#dcfce7; color:var(--good); } .banner.bad { background:#fee2e2; color:var(--bad); }
.checks { list-style:none; padding:0; margin:0; } .checks li { padding:3px 0; font-family:ui-monospace,monospace; font-size:13px; }
.checks li.good { color:var(--good); } .checks li.bad { color:var(--bad); }
.bad-text { color:var(--bad); font-weight:600; } .warn-text { color:var(--warn); } .good-text { color:var(--good); font-weight:600; }
.banner.neutral { background:#e2e8f0; color:#334155; }
.warnings { border-left:4px solid #f59e0b; } .warnings ul { margin:0; padding-left:18px; } .warnings li { padding:2px 0; }
#verdict td { white-space:normal; vertical-align:top; } #verdict td:first-child { overflow-wrap:anywhere; min-width:120px; }
#verdict .ci { color:var(--muted); font-size:12px; white-space:nowrap; }
.swatch { display:inline-block; width:12px; height:12px; border-radius:2px; vertical-align:-1px; margin-right:4px; }
.swatch.base { background:#2563eb; } .swatch.candidate { background:#ea580c; }
.settings td:last-child { white-space:normal; overflow-wrap:anywhere; }
.missing { color:var(--muted); font-size:12px; margin:10px 0 0; padding-left:18px; }
code { font-family:ui-monospace,monospace; font-size:12px; white-space:pre-wrap; word-break:break-all; }
footer { color:var(--muted); font-size:12px; text-align:center; padding:10px 0 24px; }
@media (max-width:700px) { .charts { grid-template-columns:1fr; } header { padding:16px; } main { padding:12px; } }
`;

export function renderReport(input: ReportInput): string {
  const s = input.summary;
  const tag = typeof input.manifest?.tag === "string" ? input.manifest.tag : undefined;
  const header = `<h1>Load test of ${escapeHtml(redactUrl(s.base_url))}</h1>
<div class="sub"><b>${escapeHtml(input.runName)}</b>${tag ? ` · tag <b>${escapeHtml(tag)}</b>` : ""} · ${
    escapeHtml(utc(s.started_at))
  } · ${escapeHtml(formatDuration(s.elapsed_sec))} measured at ${num(s.target_rpm)} requests/min${
    s.warmup_sec ? ` after ${escapeHtml(formatDuration(s.warmup_sec))} warm-up` : ""
  }${s.interrupted ? " · <b>interrupted</b>" : ""}</div>`;
  const main = [
    renderCards(s),
    renderThresholds(input.thresholds),
    renderCharts(input),
    renderEndpoints(s),
    renderErrors(s),
    renderSettings(input),
  ].join("\n");
  return reportDocument({
    title: `moodle-load report — ${input.runName}`,
    header,
    main,
    charts: input.charts,
    generatedAt: input.generatedAt,
    version: input.version,
  });
}

/** The page around a report's content: styles, uPlot, the chart data and the page script inlined. */
export function reportDocument(page: {
  title: string;
  header: string;
  main: string;
  charts: ChartSet;
  generatedAt: string;
  version: string;
}): string {
  const data = {
    charts: page.charts.charts,
    range: page.charts.range,
    warmupEnd: page.charts.warmupEnd ?? null,
    loadStart: page.charts.loadStart,
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${UPLOT_CSS}</style>
<style>${STYLE}</style>
</head>
<body>
<header>
${page.header}
</header>
<main>
${page.main}
</main>
<footer>Generated ${escapeHtml(utc(page.generatedAt))} by moodle-load ${
    escapeHtml(page.version)
  } · charts by uPlot ${escapeHtml(UPLOT_VERSION)} (MIT) · works offline</footer>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${inlineScript(UPLOT_JS)}</script>
<script>${inlineScript(CLIENT_JS)}</script>
<script>${inlineScript(TABLE_SORT_JS)}</script>
</body>
</html>
`;
}
