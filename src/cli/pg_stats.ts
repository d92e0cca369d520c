import { Command, type CommandUnknownOpts, InvalidArgumentError } from "@commander-js/extra-typings";
import { parseDurationSeconds } from "../output/format.ts";
import { addConnectionOptions, CONNECTION_HELP } from "../pg/connection_options.ts";
import { outAliasOf, outdirAlias, outOption } from "./out_option.ts";

/** "5", "90s", "2m" → seconds; anything else is a usage error (one line, exit 2). */
function seconds(value: string): number {
  try {
    return parseDurationSeconds(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function pgStatsCommand(): CommandUnknownOpts {
  const command = new Command("pg-stats")
    .description("capture PostgreSQL activity of one database (connections, lock waits, rates) to CSV");
  return outAliasOf(
    addConnectionOptions(command)
      .option("--config <file>", 'config file whose "db" section supplies missing connection settings')
      .option("--interval <s>", "seconds between samples", seconds, 5)
      .option("--duration <s>", "how long to capture; 0 = until Ctrl-C", seconds, 0)
      .addOption(outOption("directory for pg_<db>_<ts>_<tag>.csv", "stats"))
      .addOption(outdirAlias())
      .option("--tag <tag>", "label added to the CSV file name")
      .addHelpText(
        "after",
        `\nExample:\n  PGPASSWORD=… moodle-load pg-stats --db-url postgres://moodle@db:5432/moodle --interval 5 --tag baseline\n${CONNECTION_HELP}`,
      )
      .action(async (options) => {
        const { pgStats } = await import("../pg/stats_capture.ts");
        await pgStats({ ...options, outdir: options.out });
      }),
    "outdir",
  );
}
