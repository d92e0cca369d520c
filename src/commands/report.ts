/** `moodle-load report RUN_DIR`: read the run directory, write one self-contained HTML file. */
import { basename, join, resolve } from "node:path";
import { VERSION } from "../version.ts";
import { writeHtml } from "../output/html_file.ts";
import { EXIT, UserError } from "../errors.ts";
import { locateSummary } from "../results/summary_file.ts";
import { evaluateThresholds, type ThresholdResult } from "../thresholds/evaluate.ts";
import { resolveThresholds } from "../thresholds/option.ts";
import { prepareThresholds, thresholdsAfterRun } from "../thresholds/run_hook.ts";
import { readCaptures } from "../report/capture.ts";
import { buildCharts } from "../report/charts.ts";
import { renderReport } from "../report/html.ts";

export const REPORT_FILE = "report.html";
export const MANIFEST_FILE = "manifest.json";

export interface ReportOptions {
  out?: string;
  threshold?: string[];
  quiet?: boolean;
}

async function readManifest(dir: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value = JSON.parse(await Deno.readTextFile(join(dir, MANIFEST_FILE)));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof SyntaxError) {
      throw new UserError(`${join(dir, MANIFEST_FILE)} is not valid JSON — fix or remove it`);
    }
    throw error;
  }
}

/** Build the report for a run directory (or summary file); returns the HTML file written. */
export async function writeReport(runDir: string, options: ReportOptions = {}): Promise<string> {
  const located = await locateSummary(runDir);
  const manifest = await readManifest(located.dir);
  const { series, problems } = await readCaptures(located.dir);
  const charts = buildCharts(located.summary, series);
  const fromManifest = Array.isArray(manifest?.thresholds)
    ? (manifest.thresholds as unknown[]).map(String)
    : [];
  const thresholds = resolveThresholds({ config: fromManifest, flags: options.threshold });
  const results: ThresholdResult[] | undefined = thresholds.length
    ? evaluateThresholds(thresholds, located.summary).results
    : undefined;
  const runName = basename(resolve(located.dir));
  const html = renderReport({
    summary: located.summary,
    runName,
    charts,
    manifest,
    thresholds: results,
    problems,
    generatedAt: new Date().toISOString(),
    version: VERSION,
  });
  const out = options.out ?? join(located.dir, REPORT_FILE);
  await writeHtml(out, html);
  return out;
}

export async function writeReportAndJudge(
  runDir: string,
  options: ReportOptions,
  candidate?: string,
): Promise<void> {
  if (candidate !== undefined) {
    if (options.threshold?.length) {
      throw new UserError(
        "--threshold judges one run; two runs are judged by `compare BASE CAND --fail-on …`",
        EXIT.usage,
      );
    }
    const [{ writeAbReport }, { compareRuns }] = await Promise.all([
      import("./ab_report.ts"),
      import("./compare.ts"),
    ]);
    const { comparison } = await compareRuns(runDir, candidate);
    const out = await writeAbReport(runDir, candidate, comparison, { out: options.out });
    if (!options.quiet) console.log(`wrote ${out} (base ${runDir} vs candidate ${candidate}; works offline)`);
    return;
  }
  const out = await writeReport(runDir, options);
  if (!options.quiet) console.log(`wrote ${out} (open it in a browser; it works offline)`);
  // --threshold here judges the run as the help says: verdict printed, exit 99 when one is crossed.
  if (options.threshold?.length) {
    const { summary } = await locateSummary(runDir);
    await thresholdsAfterRun(summary, prepareThresholds(undefined, options.threshold));
  }
}
