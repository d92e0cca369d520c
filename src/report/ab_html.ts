/**
 * The A/B report: one self-contained page with compare's verdict table (changes with their
 * confidence intervals), what else differs between the runs BEFORE the verdict, both runs overlaid
 * on every chart (ab_charts.ts) and the two runs' settings side by side. The verdict is compare's
 * (compare.ts decides, render.ts words it); this file only lays it out. Pure.
 */
import type { RunSummary } from "../results/summary_types.ts";
import type { Comparison, EndpointComparison, MetricComparison } from "../compare/compare.ts";
import { signed, value, verdictCell, verdictHeadline } from "../compare/render.ts";
import { redactUrl } from "../util/redact.ts";
import { escapeHtml } from "../util/html.ts";
import { formatDuration } from "../output/format.ts";
import type { ChartSet } from "./chart_types.ts";
import { type Cell, chartFigures, metadataRows, num, reportDocument, sortCell, table, utc } from "./html.ts";

export interface AbReportInput {
  comparison: Comparison;
  base: { name: string; summary: RunSummary };
  candidate: { name: string; summary: RunSummary };
  charts: ChartSet;
  /** Lines from `--fail-on` (crossed, cannot judge), when criteria were given. */
  failOn?: string[];
  generatedAt: string;
  version: string;
}

const TONE: Record<MetricComparison["verdict"], string> = {
  "regression": "bad-text",
  "improvement": "good-text",
  "no significant change": "",
  "not comparable": "warn-text",
};
const MARK: Record<MetricComparison["verdict"], string> = {
  "regression": " ✗",
  "improvement": " ✓",
  "no significant change": "",
  "not comparable": " ?",
};

/** "120 ms → 180 ms" over "+50.0% (95% CI +41.2% … +60.1%) ✗": the change beside its interval. */
function metricCell(m: MetricComparison, level: number): string {
  if (m.verdict === "not comparable" && !Number.isFinite(m.base * m.candidate)) return "–";
  const change = m.metric === "error_rate"
    ? `${m.difference >= 0 ? "+" : ""}${(m.difference * 100).toFixed(2)} pp`
    : signed(m.change);
  const interval = m.change_interval
    ? ` <span class="ci">(${level}% CI ${signed(m.change_interval[0])} … ${
      signed(m.change_interval[1])
    })</span>`
    : "";
  return `${escapeHtml(value(m, m.base))} → ${escapeHtml(value(m, m.candidate))}<br><span class="${
    TONE[m.verdict]
  }" title="${escapeHtml(m.reason)}">${escapeHtml(change)}${MARK[m.verdict]}</span>${interval}`;
}

/** A metric cell sorts by its change: relative, or in points for the error rate (none when not comparable). */
function changeOf(m: MetricComparison): number | undefined {
  if (m.verdict === "not comparable" && !Number.isFinite(m.base * m.candidate)) return undefined;
  return m.metric === "error_rate" ? m.difference : m.change ?? undefined;
}

function verdictRows(comparison: Comparison): Cell[][] {
  const level = Math.round(comparison.method.confidence * 100);
  const row = (e: EndpointComparison) => [
    `<span class="ep">${escapeHtml(e.name)}</span>`,
    sortCell(`${num(e.base_requests)} → ${num(e.candidate_requests)}`, e.candidate_requests),
    ...e.metrics.map((m) => sortCell(metricCell(m, level), changeOf(m))),
    `<span class="${TONE[e.verdict]}">${escapeHtml(verdictCell(e))}</span>`,
  ];
  return [comparison.overall, ...comparison.endpoints].map(row);
}

function renderWarnings(comparison: Comparison): string {
  if (!comparison.warnings.length) return "";
  return `<section class="panel warnings"><h2>Before the verdict: the runs differ in more than the code</h2><ul>${
    comparison.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")
  }</ul></section>`;
}

function renderVerdict(input: AbReportInput): string {
  const c = input.comparison;
  const tone = c.verdict === "regression" ? "bad" : c.verdict === "improvement" ? "good" : "neutral";
  const head = ["Endpoint", "Requests", "p50", "p95", "p99", "Error rate", "Rate (rpm)", "Verdict"];
  const failOn = input.failOn?.length
    ? `<ul class="checks">${input.failOn.map((line) => `<li>${escapeHtml(line)}</li>`).join("")}</ul>`
    : "";
  const notes = c.notes.map((n) => `<p class="note">Note: ${escapeHtml(n)}</p>`).join("");
  return `<section class="panel"><h2>Verdict</h2><div class="banner ${tone}">${
    escapeHtml(verdictHeadline(c))
  }</div>${failOn}${
    table(head, verdictRows(c), {
      id: "verdict",
      numeric: head.map((_, i) => i > 0 && i < head.length - 1),
      pinned: [0], // the overall row stays on top
    })
  }${notes}<p class="note">Each cell: base → candidate, then the change with its ${
    Math.round(c.method.confidence * 100)
  }% confidence interval where the bootstrap gives one (hover for the test). Changes count only when larger than ` +
    `noise (Holm-corrected) and than the ${
      (c.method.min_effect * 100).toFixed(0)
    }% minimum effect: ✗ regression, ✓ improvement, ? too few requests to judge. Method: docs/compare.md.</p></section>`;
}

function runRows(summary: RunSummary, name: string): [string, string][] {
  return [
    ["Run", name],
    ["Site", redactUrl(summary.base_url)],
    ["Started", utc(summary.started_at)],
    ["Measured", formatDuration(summary.elapsed_sec)],
    ["Target rate", `${num(summary.target_rpm)} requests/min`],
    ["Requests", num(summary.total)],
    ["Interrupted", summary.interrupted ? "yes" : "no"],
    ["Seed", String(summary.seed)],
    ["Tool", `moodle-load ${summary.version}`],
    ...metadataRows(summary.metadata),
  ];
}

/** The two runs' settings and metadata side by side; rows that differ are marked. */
function renderRuns(input: AbReportInput): string {
  const base = runRows(input.base.summary, input.base.name);
  const candidate = new Map(runRows(input.candidate.summary, input.candidate.name));
  const rows = base.map(([label, b]) => {
    const c = candidate.get(label) ?? "–";
    const differs = label !== "Run" && label !== "Started" && b !== c;
    return [
      escapeHtml(label),
      `<span class="${differs ? "warn-text" : ""}">${escapeHtml(b)}</span>`,
      `<span class="${differs ? "warn-text" : ""}">${escapeHtml(c)}</span>`,
    ];
  });
  return `<section class="panel settings ab-runs"><h2>The two runs</h2>${
    table(["", "Base", "Candidate"], rows, { id: "runs", numeric: [false, false, false] })
  }<p class="note">Orange: the runs differ in this (the warnings above say what that means).</p></section>`;
}

export function renderAbReport(input: AbReportInput): string {
  const { base, candidate } = input;
  const header = `<h1>A/B: ${escapeHtml(base.name)} → ${escapeHtml(candidate.name)}</h1>
<div class="sub"><span class="swatch base"></span><b>base</b> ${escapeHtml(base.name)} · ${
    escapeHtml(utc(base.summary.started_at))
  } &nbsp; <span class="swatch candidate"></span><b>candidate</b> ${escapeHtml(candidate.name)} · ${
    escapeHtml(utc(candidate.summary.started_at))
  } · ${escapeHtml(redactUrl(candidate.summary.base_url))}</div>`;
  const missing = input.charts.missing.map((m) => `<li>${escapeHtml(m)}</li>`).join("");
  const main = [
    renderWarnings(input.comparison),
    renderVerdict(input),
    `<section class="charts">${chartFigures(input.charts.charts)}</section>${
      missing ? `<ul class="missing">${missing}</ul>` : ""
    }`,
    renderRuns(input),
  ].join("\n");
  return reportDocument({
    title: `moodle-load A/B report — ${base.name} → ${candidate.name}`,
    header,
    main,
    charts: input.charts,
    generatedAt: input.generatedAt,
    version: input.version,
  });
}
