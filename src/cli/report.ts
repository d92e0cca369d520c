import { Command, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { thresholdOption } from "../thresholds/option.ts";

export function reportCommand(): CommandUnknownOpts {
  return new Command("report")
    .description(
      "write one self-contained HTML report (charts, endpoints, capture, settings) for a run directory",
    )
    .argument("<run-dir>", "a run directory (bench, or run --out) or its load_summary_*.json")
    .argument(
      "[candidate]",
      "a second run: write the A/B report (both runs on every chart, compare's verdict table) instead",
    )
    .option(
      "--out <file>",
      "where to write the HTML (default: <run-dir>/report.html; A/B: <candidate>/ab-report.html)",
    )
    .addOption(thresholdOption())
    .option("--quiet", "print nothing on success")
    .addHelpText(
      "after",
      "\nExamples:\n  moodle-load report runs/20261121T050000Z_main && xdg-open runs/20261121T050000Z_main/report.html\n" +
        "  moodle-load report runs/20261121T050000Z_main runs/20261121T060000Z_feature   # A/B report",
    )
    .action(async (runDir, candidate, options) => {
      const { writeReportAndJudge } = await import("../commands/report.ts");
      await writeReportAndJudge(runDir, options, candidate);
    });
}
