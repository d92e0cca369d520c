/**
 * The A/B report of two runs (`report BASE CAND`, `compare BASE CAND --html FILE`): compare's outcome
 * (the one verdict rule: compare.ts judges, the caller passes its Comparison) and both runs' captures, laid out by report/ab_html.ts.
 */
import { basename, dirname, join, resolve } from "node:path";
import { VERSION } from "../version.ts";
import { locateSummary } from "../results/summary_file.ts";
import { readCaptures } from "../report/capture.ts";
import { buildAbCharts } from "../report/ab_charts.ts";
import { renderAbReport } from "../report/ab_html.ts";
import type { Comparison } from "../compare/compare.ts";
import { writeHtml } from "../output/html_file.ts";

export const AB_REPORT_FILE = "ab-report.html";

/** Write the A/B page of compare's judgement (`failOnLines`: what --fail-on decided, when given). */
export async function writeAbReport(
  base: string,
  candidate: string,
  comparison: Comparison,
  options: { out?: string; failOnLines?: string[] } = {},
): Promise<string> {
  const [b, c] = await Promise.all([locateSummary(base), locateSummary(candidate)]);
  const [baseCaptures, candidateCaptures] = await Promise.all([readCaptures(b.dir), readCaptures(c.dir)]);
  // The folder names the run (bench: <ts>_<tag>); two `stats` folders are told apart by their parents.
  const short = (dir: string) => basename(resolve(dir));
  const long = (dir: string) => `${basename(dirname(resolve(dir)))}/${short(dir)}`;
  const name = short(b.dir) === short(c.dir) ? long : short;
  const charts = buildAbCharts(
    { label: "base", summary: b.summary, captures: baseCaptures.series },
    { label: "candidate", summary: c.summary, captures: candidateCaptures.series },
  );
  charts.missing.push(...baseCaptures.problems, ...candidateCaptures.problems);
  const html = renderAbReport({
    comparison,
    base: { name: name(b.dir), summary: b.summary },
    candidate: { name: name(c.dir), summary: c.summary },
    charts,
    failOn: options.failOnLines,
    generatedAt: new Date().toISOString(),
    version: VERSION,
  });
  const out = options.out ?? join(c.dir, AB_REPORT_FILE);
  await writeHtml(out, html);
  return out;
}
