import { Command, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { junitOption } from "./junit.ts";

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function compareCommand(): CommandUnknownOpts {
  return new Command("compare")
    .description(
      "compare two runs per endpoint (p50/p95/p99, error rate, observed rate) with a noise-aware verdict",
    )
    .argument("<base>", "baseline: a run directory or its load_summary_*.json")
    .argument("<candidate>", "candidate: a run directory or its load_summary_*.json")
    .option("--json", "print the comparison as JSON")
    .option(
      "--fail-on <criterion>",
      "exit 99 when a significant change crosses it, repeatable: 'p95>+10%', 'error_rate>+0.5pp', " +
        "'rpm_observed<-5%', 'course_view:p99>+20%', '*:p95>+10%' (any endpoint), 'regression'",
      collect,
    )
    .addOption(junitOption())
    .option("--html <file>", "also write the A/B report: both runs on every chart and this verdict table")
    .option("--min-effect <pct>", "smallest relative change that gets a verdict", "5%")
    .option("--confidence <pct>", "confidence level of intervals and tests", "95%")
    .addHelpText(
      "after",
      "\nExample:\n  moodle-load compare runs/20261121T050000Z_main runs/20261121T060000Z_feature --fail-on 'p95>+10%'\n" +
        "Method: docs/compare.md",
    )
    .action(async (base, candidate, options) => {
      const { printComparison } = await import("../commands/compare.ts");
      await printComparison(base, candidate, options);
    });
}
