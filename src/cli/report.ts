import { Command, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { thresholdOption } from "../thresholds/option.ts";

export function reportCommand(): CommandUnknownOpts {
  return new Command("report")
    .description(
      "write one self-contained HTML report (charts, endpoints, capture, settings) for a run directory",
    )
    .argument("<run-dir>", "a run directory (bench, or run --out) or its load_summary_*.json")
    .option("--out <file>", "where to write the HTML (default: <run-dir>/report.html)")
    .addOption(thresholdOption())
    .option("--quiet", "print nothing on success")
    .addHelpText(
      "after",
      "\nExample:\n  moodle-load report runs/20261121T050000Z_main && xdg-open runs/20261121T050000Z_main/report.html",
    )
    .action(async (runDir, options) => {
      const { writeReportAndJudge } = await import("../commands/report.ts");
      await writeReportAndJudge(runDir, options);
    });
}
