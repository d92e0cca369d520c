import { Command, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { thresholdOption } from "../thresholds/option.ts";

export function mergeCommand(): CommandUnknownOpts {
  return new Command("merge")
    .description(
      "merge the shards of one run (run --shard I/N) into the summary the single run would have written",
    )
    .argument("<summaries...>", "each shard's run directory (run --out, bench) or load_summary_*.json")
    .requiredOption("--out <dir>", "where the merged load_summary/progress/endpoints files go")
    .option(
      "--allow-partial",
      "write what there is when shards are missing (the summary says partial: true)",
      false,
    )
    .addOption(thresholdOption())
    .option("--quiet", "print nothing on success", false)
    .addHelpText(
      "after",
      `
Example:
  moodle-load merge shards/0 shards/1 shards/2 shards/3 --out merged --threshold 'p95<800ms'
  moodle-load report merged

Exit codes: 0 written, 1 a shard missing or given twice ("incomplete: shards 2/4 missing"),
2 shards of different runs or a bad path, 99 a --threshold crossed on the merged result.`,
    )
    .action(async (paths, options) => {
      const [{ mergeCommand }, { VERSION }] = await Promise.all([
        import("../commands/merge.ts"),
        import("../version.ts"),
      ]);
      await mergeCommand(paths, options, VERSION);
    });
}
